package io.trustline.policy.cli;

import io.trustline.policy.engine.Explanation;
import io.trustline.policy.engine.PolicyEngine;
import io.trustline.policy.error.PolicyError;
import io.trustline.policy.error.PolicyParseException;
import io.trustline.policy.testing.CaseFiles;
import io.trustline.policy.testing.CaseResult;
import io.trustline.policy.testing.CaseRunner;
import io.trustline.policy.testing.PolicyCase;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code test DIR}: runs every {@code *.cases.yaml} of a directory against its policies. */
@Command(name = "test", description = "Runs the *.cases.yaml files of DIR against the policies of DIR.")
final class TestCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "Directory of policies and their *.cases.yaml files.")
    Path dir;

    @Option(
            names = {"-v", "--verbose"},
            description = "Also list passing cases.")
    boolean verbose;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        PolicyEngine engine = CheckCommand.load(dir, err);
        if (engine == null) {
            return 1;
        }
        List<Path> files;
        try {
            files = CaseFiles.list(dir);
        } catch (IOException e) {
            err.println(dir + ": cannot list: " + e.getMessage());
            return 1;
        }
        if (files.isEmpty()) {
            err.println(dir + ": no *.cases.yaml files");
            out.println("0 passed, 0 failed");
            return 1;
        }
        int passed = 0;
        int failed = 0;
        for (Path f : files) {
            String name = dir.resolve(f.getFileName()).toString();
            List<PolicyCase> cases;
            try {
                cases = CaseFiles.read(f, name);
            } catch (PolicyParseException e) {
                e.errors().forEach(x -> err.println(x));
                failed++;
                continue;
            } catch (IOException e) {
                err.println(PolicyError.ofFile(name, "cannot read: " + e.getMessage()));
                failed++;
                continue;
            }
            for (CaseResult r : CaseRunner.runAll(engine, cases)) {
                if (r.passed()) {
                    passed++;
                    if (verbose) {
                        out.println("PASS " + r.testCase().origin() + ": "
                                + r.testCase().note());
                    }
                } else {
                    failed++;
                    printFailure(out, r);
                }
            }
        }
        out.println(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }

    private static void printFailure(PrintWriter out, CaseResult r) {
        out.println("FAIL " + r.testCase().origin() + ": " + r.testCase().note());
        for (String m : r.mismatches()) {
            out.println("  " + m);
        }
        out.println("  got: " + r.actual());
        Explanation e = r.explanation();
        if (e != null && !e.rules().isEmpty()) {
            out.println("  rules:");
            for (Explanation.RuleResult rr : e.rules()) {
                out.println("    " + rr.action().yamlName() + " " + rr.policy() + "/" + rr.rule() + ": "
                        + (rr.matched() ? "matched" : rr.failure()));
            }
        }
    }
}
