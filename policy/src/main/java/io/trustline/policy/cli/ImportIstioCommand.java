package io.trustline.policy.cli;

import io.trustline.policy.PolicyLoader;
import io.trustline.policy.error.PolicyError;
import io.trustline.policy.error.PolicyParseException;
import io.trustline.policy.istio.Finding;
import io.trustline.policy.istio.ImportOptions;
import io.trustline.policy.istio.IstioImport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code import-istio}: converts Istio AuthorizationPolicy and RequestAuthentication resources into Trustline
 * policies. The result is checked with the same loader as {@code check} before anything is written, and nothing is
 * written when a field could not be converted, unless {@code --allow-partial} accepts a result that is stricter than
 * the Istio policies. A result that would be more permissive is never written.
 */
@Command(
        name = "import-istio",
        description = "Converts Istio AuthorizationPolicy and RequestAuthentication (security.istio.io/v1) into"
                + " Trustline policies, one file per service; reports every field it cannot convert as"
                + " file:line:column.")
final class ImportIstioCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(
            arity = "1..*",
            paramLabel = "FILE|DIR",
            description = "Istio resources: YAML files (several documents, or a kind: List) or directories of them.")
    List<Path> inputs;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "DIR",
            description = "Where to write the policies; created if missing, must not hold policy files.")
    Path out;

    @Option(
            names = "--trust-domain",
            paramLabel = "TD",
            defaultValue = ImportOptions.DEFAULT_TRUST_DOMAIN,
            description = "Trustline's trust domain; principals in the Istio trust domain are rewritten to it"
                    + " (default: ${DEFAULT-VALUE}).")
    String trustDomain;

    @Option(
            names = "--istio-trust-domain",
            paramLabel = "TD",
            defaultValue = ImportOptions.DEFAULT_TRUST_DOMAIN,
            description = "The Istio mesh's trust domain (default: ${DEFAULT-VALUE}).")
    String istioTrustDomain;

    @Option(
            names = "--service-label",
            paramLabel = "LABEL",
            defaultValue = ImportOptions.DEFAULT_SERVICE_LABEL,
            description = "The selector label that names the service (default: ${DEFAULT-VALUE}).")
    String serviceLabel;

    @Option(
            names = "--services",
            split = ",",
            paramLabel = "SERVICE",
            description = "The services that namespace-wide policies (no selector) apply to.")
    List<String> services = new ArrayList<>();

    @Option(
            names = "--allow-partial",
            description = "Write the result even though some fields could not be converted; it is then stricter"
                    + " than the Istio policies (never more permissive).")
    boolean allowPartial;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ImportOptions options;
        try {
            options = new ImportOptions(trustDomain, istioTrustDomain, serviceLabel, services);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        IstioImport.Result result = IstioImport.convert(inputs, options);
        result.findings().forEach(err::println);
        long fatal = count(result, Finding.Effect.FATAL);
        long dropped = count(result, Finding.Effect.DROPPED);
        if (!result.writable(allowPartial)) {
            err.println("nothing written: "
                    + (fatal > 0
                            ? plural(fatal, "finding")
                                    + " above would make the result more permissive than Istio's, or the"
                                    + " input is not valid Istio"
                            : plural(dropped, "field")
                                    + " cannot be converted; --allow-partial writes a result stricter"
                                    + " than Istio's"));
            return 1;
        }
        if (result.files().isEmpty()) {
            err.println("nothing written: no AuthorizationPolicy or RequestAuthentication to convert");
            return 1;
        }
        try {
            if (Files.isDirectory(out) && holdsPolicies(out)) {
                err.println("nothing written: " + out + " already holds policy files (expected: a new or empty"
                        + " directory)");
                return 1;
            }
            Path staging = Files.createTempDirectory("trustline-istio");
            try {
                write(staging, result.files());
                // The same loader as `check`: what is written loads in the sidecar.
                PolicyLoader.load(staging);
                Files.createDirectories(out);
                write(out, result.files());
            } finally {
                delete(staging);
            }
        } catch (PolicyParseException e) {
            for (PolicyError error : e.errors()) {
                err.println("converted policy: " + error);
            }
            err.println("nothing written: the converted policies do not pass check");
            return 1;
        } catch (IOException e) {
            err.println("nothing written: " + e.getMessage());
            return 1;
        }
        stdout.printf(
                "wrote %d %s to %s: %s%n",
                result.policies(),
                result.policies() == 1 ? "policy" : "policies",
                out,
                String.join(", ", result.files().keySet()));
        if (dropped > 0) {
            stdout.println("partial: " + plural(dropped, "field") + " not converted (see above); the result is"
                    + " stricter than Istio's");
        }
        return 0;
    }

    private static String plural(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    private static long count(IstioImport.Result r, Finding.Effect effect) {
        return r.findings().stream().filter(f -> f.effect() == effect).count();
    }

    private static boolean holdsPolicies(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(p -> PolicyLoader.isPolicyFile(p.getFileName().toString()));
        }
    }

    private static void write(Path dir, Map<String, String> files) throws IOException {
        for (Map.Entry<String, String> f : files.entrySet()) {
            Files.writeString(dir.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
