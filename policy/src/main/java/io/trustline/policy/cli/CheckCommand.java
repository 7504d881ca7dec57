package io.trustline.policy.cli;

import io.trustline.policy.PolicyLoader;
import io.trustline.policy.engine.PolicyEngine;
import io.trustline.policy.error.PolicyError;
import io.trustline.policy.error.PolicyParseException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code check DIR}: validates every policy file of a directory. */
@Command(name = "check", description = "Validates the policy files of DIR; prints every error as file:line:column.")
final class CheckCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "Directory of *.yaml policy files.")
    Path dir;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        PolicyEngine engine = load(dir, err);
        if (engine == null) {
            return 1;
        }
        int rules = engine.policies().stream().mapToInt(p -> p.rules().size()).sum();
        out.printf(
                "ok: %s, %s, %s (version %s)%n",
                plural(engine.policies().size(), "policy", "policies"),
                plural(rules, "rule", "rules"),
                plural(engine.services().size(), "service", "services"),
                engine.version());
        if (engine.policies().isEmpty()) {
            err.println("warning: no policies in " + dir + ": every request would be denied");
        }
        for (PolicyError w : engine.warnings()) {
            err.println(w.file() + ":" + w.line() + ":" + w.column() + ": warning: " + w.message());
        }
        return 0;
    }

    private static String plural(int n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }

    /** Loads a directory, printing every error to {@code err}; null when invalid. */
    static @Nullable PolicyEngine load(Path dir, PrintWriter err) {
        try {
            return PolicyLoader.load(dir);
        } catch (PolicyParseException e) {
            for (PolicyError error : e.errors()) {
                err.println(error);
            }
            err.println(e.errors().size() + (e.errors().size() == 1 ? " error" : " errors"));
            return null;
        }
    }
}
