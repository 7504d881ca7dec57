package io.trustline.policy.cli;

import io.trustline.policy.PolicyLoader;
import io.trustline.policy.engine.PolicyEngine;
import io.trustline.policy.error.PolicyError;
import io.trustline.policy.error.PolicyParseException;
import io.trustline.policy.lint.Lint;
import io.trustline.policy.lint.LintWarning;
import io.trustline.policy.model.Policy;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code check DIR}: validates every policy file of a directory, then lints what it loaded. */
@Command(
        name = "check",
        description = "Validates the policy files of DIR; prints every error as file:line:column, then every"
                + " warning (unsatisfiable and shadowed rules, unknown services, foreign trust domains).")
final class CheckCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "Directory of *.yaml policy files.")
    Path dir;

    @Option(names = "--strict", description = "Treat warnings as errors: exit 1 if there is any.")
    boolean strict;

    @Option(
            names = "--services",
            split = ",",
            paramLabel = "NAME",
            description = "The services that exist (comma-separated); policies for others are reported.")
    List<String> services = new ArrayList<>();

    @Option(
            names = "--services-file",
            paramLabel = "FILE",
            description = "A file of the services that exist, one per line ('#' starts a comment).")
    Path servicesFile;

    @Option(
            names = "--trust-domain",
            paramLabel = "DOMAIN",
            description = "The mesh's trust domain (e.g. example.org); principals of other domains are reported.")
    String trustDomain;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Lint lint = lint();
        PolicyLoader.DirectoryContent content;
        try {
            content = PolicyLoader.read(dir);
        } catch (PolicyParseException e) {
            printErrors(e, err);
            return 1;
        }
        PolicyLoader.Parsed parsed = PolicyLoader.parseAll(content);
        if (!parsed.errors().isEmpty()) {
            printErrors(new PolicyParseException(parsed.errors()), err);
            // The documents that are valid on their own are linted too, so one run shows everything to fix; every
            // lint finding is about rules and policies that are there whatever the broken files turn out to hold.
            printWarnings(warnings(parsed.policies(), lint), err);
            return 1;
        }
        PolicyEngine engine = PolicyEngine.compile(parsed.policies(), content.version());
        List<String> warnings = new ArrayList<>();
        if (engine.policies().isEmpty()) {
            warnings.add("warning: no policies in " + dir + ": every request would be denied");
        }
        warnings.addAll(warnings(engine.policies(), lint));
        boolean failed = strict && !warnings.isEmpty();
        if (!failed) {
            int rules =
                    engine.policies().stream().mapToInt(p -> p.rules().size()).sum();
            out.printf(
                    "ok: %s, %s, %s (version %s)%n",
                    plural(engine.policies().size(), "policy", "policies"),
                    plural(rules, "rule", "rules"),
                    plural(engine.services().size(), "service", "services"),
                    engine.version());
        }
        printWarnings(warnings, err);
        return failed ? 1 : 0;
    }

    /** The reader's warnings (a '*' CORS origin) and then the lint's, each as {@code file:line:column: warning: ...}. */
    private static List<String> warnings(List<Policy> policies, Lint lint) {
        List<String> out = new ArrayList<>();
        policies.stream()
                .flatMap(p -> p.warnings().stream())
                .sorted()
                .forEach(w -> out.add(w.file() + ":" + w.line() + ":" + w.column() + ": warning: " + w.message()));
        for (LintWarning w : lint.check(policies)) {
            out.add(w.toString());
        }
        return out;
    }

    private void printWarnings(List<String> warnings, PrintWriter err) {
        warnings.forEach(err::println);
        if (!warnings.isEmpty()) {
            err.println(plural(warnings.size(), "warning", "warnings")
                    + (strict ? " (--strict: warnings are errors)" : ""));
        }
    }

    /** The lint the options ask for; a bad option is a usage error (exit 2). */
    private Lint lint() {
        Lint.Builder b = Lint.builder();
        if (trustDomain != null) {
            if (!Lint.isTrustDomain(trustDomain)) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        "--trust-domain: '" + trustDomain
                                + "' (expected: a trust domain such as example.org, without spiffe://)");
            }
            b.trustDomain(trustDomain);
        }
        List<String> known = new ArrayList<>();
        services.stream().map(String::strip).filter(s -> !s.isEmpty()).forEach(known::add);
        if (servicesFile != null) {
            try {
                for (String line : Files.readAllLines(servicesFile, StandardCharsets.UTF_8)) {
                    int hash = line.indexOf('#');
                    String name = (hash < 0 ? line : line.substring(0, hash)).strip();
                    if (!name.isEmpty()) {
                        known.add(name);
                    }
                }
            } catch (IOException e) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(), "--services-file: " + servicesFile + ": cannot read: " + e.getMessage());
            }
        }
        return b.knownServices(known).build();
    }

    private static String plural(int n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }

    /** Loads a directory, printing every error to {@code err}; null when invalid. */
    static @Nullable PolicyEngine load(Path dir, PrintWriter err) {
        try {
            return PolicyLoader.load(dir);
        } catch (PolicyParseException e) {
            printErrors(e, err);
            return null;
        }
    }

    /** Every error as {@code file:line:column: message}, sorted, then the count. */
    private static void printErrors(PolicyParseException e, PrintWriter err) {
        for (PolicyError error : e.errors()) {
            err.println(error);
        }
        err.println(e.errors().size() + (e.errors().size() == 1 ? " error" : " errors"));
    }
}
