package io.trustline.ca.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.ca.SpiffeId;
import io.trustline.ca.SvidValidator;
import io.trustline.ca.TrustBundle;
import io.trustline.ca.X509Svid;
import io.trustline.ca.client.SvidClient;
import io.trustline.ca.server.CaServer;
import io.trustline.ca.testing.MutableClock;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrustlineCaTest {

    private static final String ORDERS = "spiffe://example.org/ns/shop/sa/orders";

    @TempDir
    Path tmp;

    private final MutableClock clock = MutableClock.startingNow();

    private record Result(int code, String out, String err) {}

    private Result run(String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = TrustlineCa.execute(args, new PrintWriter(out), new PrintWriter(err), clock);
        return new Result(code, out.toString(), err.toString());
    }

    private String dir() {
        return tmp.resolve("ca").toString();
    }

    @Test
    void initCreatesTheCaAndRefusesToOverwriteIt() {
        final Result init = run("init", "--trust-domain", "example.org", "--dir", dir());
        final Result again = run("init", "--trust-domain", "example.org", "--dir", dir());

        assertThat(init.code()).isZero();
        assertThat(init.out()).startsWith("initialised CA for trust domain example.org");
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err())
                .isEqualTo("trustline-ca: " + dir() + ": already holds a CA (ca.key exists); " + "refusing to overwrite"
                        + System.lineSeparator());
    }

    @Test
    void initIfMissingKeepsTheCaOfTheSameTrustDomainAndRefusesAnotherOne() throws Exception {
        final Result first = run("init", "--if-missing", "--trust-domain", "example.org", "--dir", dir());
        final byte[] key = Files.readAllBytes(tmp.resolve("ca").resolve("ca.key"));
        final Result again = run("init", "--if-missing", "--trust-domain", "example.org", "--dir", dir());
        final Result other = run("init", "--if-missing", "--trust-domain", "other.org", "--dir", dir());

        assertThat(first.code()).isZero();
        assertThat(first.out()).startsWith("initialised CA for trust domain example.org");
        assertThat(again.code()).isZero();
        assertThat(again.out())
                .isEqualTo("kept the CA for trust domain example.org in " + dir() + System.lineSeparator());
        assertThat(Files.readAllBytes(tmp.resolve("ca").resolve("ca.key"))).isEqualTo(key);
        assertThat(other.code()).isEqualTo(1);
        assertThat(other.err()).contains("holds a CA for trust domain example.org, not other.org");
    }

    @Test
    void issueWritesCertKeyAndBundleThatValidate() throws Exception {
        run("init", "--trust-domain", "example.org", "--dir", dir(), "--key-type", "rsa-3072");
        final Path out = tmp.resolve("out");

        final Result issue =
                run("issue", "--dir", dir(), "--spiffe-id", ORDERS, "--out", out.toString(), "--ttl", "30m");

        assertThat(issue.code()).isZero();
        final List<X509Certificate> chain =
                io.trustline.ca.Pem.parseCertificates(Files.readString(out.resolve("cert.pem")));
        final TrustBundle bundle = TrustBundle.parsePem(Files.readString(out.resolve("bundle.pem")));
        assertThat(new SvidValidator(bundle, "example.org", clock).validate(chain.toArray(new X509Certificate[0])))
                .isEqualTo(SpiffeId.parse(ORDERS));
        assertThat(io.trustline.ca.Pem.parsePrivateKey(Files.readString(out.resolve("key.pem")))
                        .getAlgorithm())
                .isEqualTo("EC");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("key.pem"))))
                .isEqualTo("rw-------");
        assertThat(Files.readAllLines(tmp.resolve("ca").resolve("audit.log")))
                .singleElement()
                .asString()
                .contains("\"authorisation\":\"offline\"", ORDERS);
    }

    @Test
    void tokenCreatePrintsTheTokenOnceAndItObtainsAnSvidFromTheServedCa() {
        run("init", "--trust-domain", "example.org", "--dir", dir());
        final Result created = run("token", "create", "--dir", dir(), "--spiffe-id", ORDERS, "--ttl", "10m");
        final String token = created.out().trim();

        assertThat(created.code()).isZero();
        assertThat(token).matches("[0-9a-f]{16}\\.[A-Za-z0-9_-]{43}");
        assertThat(created.err()).contains("single use").doesNotContain(token);

        final TrustBundle bundle =
                TrustBundle.parsePem(run("bundle", "--dir", dir()).out());
        try (CaServer server = CaServer.builder()
                        .directory(tmp.resolve("ca"))
                        .clock(clock)
                        .listen("127.0.0.1:0")
                        .build()
                        .start();
                SvidClient client = SvidClient.builder()
                        .caAddress("127.0.0.1:" + server.port())
                        .caBundle(bundle)
                        .spiffeId(SpiffeId.parse(ORDERS))
                        .joinToken(token)
                        .clock(clock)
                        .build()) {
            final X509Svid svid = client.start();
            assertThat(svid.id()).hasToString(ORDERS);
        }
        assertThat(run("token", "list", "--dir", dir()).out()).contains(ORDERS, "used");
    }

    @Test
    void tokenRevokeAcceptsTheIdOrTheTokenAndComplainsAboutUnknownOnes() {
        run("init", "--trust-domain", "example.org", "--dir", dir());
        final String token = run("token", "create", "--dir", dir(), "--spiffe-id", ORDERS, "--reusable")
                .out()
                .trim();

        assertThat(run("token", "revoke", "--dir", dir(), token).code()).isZero();
        final Result unknown = run("token", "revoke", "--dir", dir(), "0123456789abcdef");

        assertThat(run("token", "list", "--dir", dir()).out()).contains("revoked");
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err())
                .isEqualTo("trustline-ca: no join token with id 0123456789abcdef" + System.lineSeparator());
    }

    @Test
    void bundlePrintsPemOrSpiffeJson() {
        run("init", "--trust-domain", "example.org", "--dir", dir());

        assertThat(run("bundle", "--dir", dir()).out()).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(run("bundle", "--dir", dir(), "--format", "spiffe").out())
                .contains("\"use\":\"x509-svid\"", "\"spiffe_sequence\"", "\"spiffe_refresh_hint\":300");
    }

    @Test
    void errorsAreOneLineWithoutStackTraces() throws Exception {
        run("init", "--trust-domain", "example.org", "--dir", dir());
        Files.setPosixFilePermissions(
                tmp.resolve("ca").resolve("ca.key"), PosixFilePermissions.fromString("rw-r--r--"));

        final List<Result> failures = List.of(
                run("bundle", "--dir", dir()),
                run("bundle", "--dir", tmp.resolve("missing").toString()),
                run(
                        "init",
                        "--trust-domain",
                        "Bad_Domain",
                        "--dir",
                        tmp.resolve("x").toString()),
                run(
                        "init",
                        "--trust-domain",
                        "example.org",
                        "--dir",
                        tmp.resolve("y").toString(),
                        "--key-type",
                        "dsa"),
                run("token", "create", "--dir", dir(), "--spiffe-id", ORDERS, "--ttl", "soon"),
                run("issue", "--dir", dir()),
                run("nonsense"));

        for (Result failure : failures) {
            assertThat(failure.code()).isNotZero();
            assertThat(failure.out()).isEmpty();
            assertThat(failure.err().lines()).hasSize(1).first().asString().startsWith("trustline-ca: ");
            assertThat(failure.err()).doesNotContain("Exception", "\tat ");
        }
        assertThat(failures.get(0).err()).contains("ca.key: permissions rw-r--r-- let group or others access it");
        assertThat(failures.get(3).err()).contains("key type: dsa (expected: ec-p256 or rsa-3072)");
    }

    @Test
    void everySubcommandPrintsItsHelpInsteadOfDemandingItsOptions() {
        for (String[] command : new String[][] {
            {"init"},
            {"serve"},
            {"token"},
            {"token", "create"},
            {"token", "revoke"},
            {"token", "list"},
            {"issue"},
            {"bundle"}
        }) {
            final String[] args = java.util.Arrays.copyOf(command, command.length + 1);
            args[command.length] = "--help";
            final Result help = run(args);

            assertThat(help.code()).as(String.join(" ", args)).isZero();
            assertThat(help.err()).as(String.join(" ", args)).isEmpty();
            assertThat(help.out()).startsWith("Usage: trustline-ca " + String.join(" ", command) + " ");
        }
        assertThat(run("init", "--help").out()).contains("--trust-domain=DOMAIN", "--max-ttl=DURATION");
        assertThat(run("token", "create", "--help").out()).contains("--spiffe-id=ID", "--ttl=DURATION");
    }

    @Test
    void versionIsTheProjectVersionOnTheToolAndEverySubcommand() {
        final String expected = "trustline-ca " + TrustlineVersion.projectVersion() + System.lineSeparator();

        assertThat(TrustlineVersion.projectVersion()).matches("\\d+\\.\\d+\\.\\d+.*");
        assertThat(run("-V").out()).isEqualTo(expected);
        assertThat(run("--version").out()).isEqualTo(expected);
        assertThat(run("token", "create", "-V").out()).isEqualTo(expected);
    }

    @Test
    void generatesABashCompletionScriptNamingEverySubcommand() {
        final Result completion = run("generate-completion");

        assertThat(completion.code()).isZero();
        assertThat(completion.out())
                .startsWith("#!/usr/bin/env bash")
                .contains("complete -F _complete_trustline-ca")
                .contains(" init", " serve", " token", " issue", " bundle", " create", " revoke", " list");
    }

    @Test
    void helpHasNoColourWhenTheOutputIsNotATerminal() {
        assertThat(run("--help").out()).contains("Usage: trustline-ca").doesNotContain("\u001b[");
        assertThat(run("init", "--help").out()).doesNotContain("\u001b[");
    }

    @Test
    void durationOptionsTakeTheOneGrammarAndRefuseZero() {
        run("init", "--trust-domain", "example.org", "--dir", dir());

        for (String ttl : List.of("1h30m", "PT90M", "5400s", "1d")) {
            assertThat(run("token", "create", "--dir", dir(), "--spiffe-id", ORDERS, "--ttl", ttl)
                            .code())
                    .as(ttl)
                    .isZero();
        }
        final Result unknownUnit = run("token", "create", "--dir", dir(), "--spiffe-id", ORDERS, "--ttl", "1x");
        final Result zero = run("token", "create", "--dir", dir(), "--spiffe-id", ORDERS, "--ttl", "0");
        assertThat(unknownUnit.code()).isEqualTo(TrustlineCa.EXIT_USAGE);
        assertThat(unknownUnit.err())
                .contains("'1x': unknown unit 'x' (expected: ms, s, m, h, d, or ISO-8601 like PT30S)");
        assertThat(zero.code()).isEqualTo(TrustlineCa.EXIT_USAGE);
        assertThat(zero.err()).contains("'0': zero (expected: > 0)");
    }
}
