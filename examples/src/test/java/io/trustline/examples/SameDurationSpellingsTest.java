package io.trustline.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.ca.cli.TrustlineCa;
import io.trustline.examples.demo.DemoCommand;
import io.trustline.policy.PolicyLoader;
import io.trustline.policy.model.Penalty;
import io.trustline.sidecar.config.ConfigLoader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * One duration grammar everywhere: each spelling is read from a real policy file, a real sidecar.yaml, the CA's
 * command line and the demo's, and all four agree on its value.
 */
class SameDurationSpellingsTest {

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @CsvSource({"90m, 5400", "1h30m, 5400", "PT1H30M, 5400", "1d, 86400", "P1D, 86400", "2m30s, 150", "1m30s500ms, 90"})
    void policySidecarCaAndDemoReadTheSameSpelling(String spelling, long seconds) throws Exception {
        final Duration expected = Duration.ofSeconds(seconds).plusMillis(spelling.endsWith("500ms") ? 500 : 0);

        assertThat(policyPenaltyWindow(spelling)).as("policy file").isEqualTo(expected);
        assertThat(sidecarCertTtl(spelling)).as("sidecar.yaml").isEqualTo(expected);
        assertThat(caCli(spelling)).as("trustline-ca init --max-ttl").isZero();
        assertThat(demoCertTtl(spelling)).as("demo --cert-ttl").isEqualTo(expected);
        assertThat(shopOption(spelling, "auth", "--token-ttl"))
                .as("auth --token-ttl")
                .isEqualTo(expected);
        assertThat(shopOption(
                        spelling, "compose-init", "orders", "--ca-dir", "ca", "--identity-root", "ids", "--token-ttl"))
                .as("compose-init --token-ttl")
                .isEqualTo(expected);
    }

    private Duration policyPenaltyWindow(String spelling) throws Exception {
        final Path dir = Files.createDirectories(tmp.resolve("policies"));
        Files.writeString(
                dir.resolve("orders.yaml"),
                "apiVersion: trustline.io/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n  service: orders\n"
                        + "  penalty: {threshold: 10, window: " + spelling + ", duration: 5m}\n");
        final Penalty penalty =
                PolicyLoader.load(dir).policies().get(0).penalty().orElseThrow();
        return penalty.window();
    }

    private Duration sidecarCertTtl(String spelling) throws Exception {
        final Path file = tmp.resolve("sidecar.yaml");
        Files.writeString(
                file,
                String.join(
                        "\n",
                        "service: orders",
                        "namespace: shop",
                        "trustDomain: example.org",
                        "identity: {ca: 127.0.0.1:15012, caBundle: ./bundle.pem, joinTokenFile: ./orders.token,"
                                + " certTtl: " + spelling + "}",
                        "inbound: {listen: 127.0.0.1:15006, app: 127.0.0.1:8080}",
                        ""));
        return new ConfigLoader().load(file).identity().certTtl();
    }

    private int caCli(String spelling) {
        final StringWriter err = new StringWriter();
        final int code = TrustlineCa.execute(
                new String[] {
                    "init",
                    "--trust-domain",
                    "example.org",
                    "--dir",
                    tmp.resolve("ca").toString(),
                    "--max-ttl",
                    spelling
                },
                new PrintWriter(new StringWriter()),
                new PrintWriter(err),
                Clock.systemUTC());
        assertThat(err.toString()).isEmpty();
        return code;
    }

    /** The value of the last option of {@code args} (given {@code spelling}) on a subcommand of the examples jar. */
    private static Duration shopOption(String spelling, String... args) {
        final String[] all = java.util.Arrays.copyOf(args, args.length + 1);
        all[args.length] = spelling;
        return new CommandLine(new Shop())
                .parseArgs(all)
                .subcommand()
                .matchedOptionValue(args[args.length - 1], Duration.ZERO);
    }

    private static Duration demoCertTtl(String spelling) {
        return new CommandLine(new DemoCommand())
                .parseArgs("--cert-ttl", spelling)
                .matchedOptionValue("--cert-ttl", Duration.ZERO);
    }
}
