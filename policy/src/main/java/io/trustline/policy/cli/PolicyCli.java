package io.trustline.policy.cli;

import io.trustline.ca.cli.TrustlineVersion;
import java.io.PrintWriter;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code trustline-policy}: validate policy files, run their test cases, explain one request. The
 * commands use the same loader and evaluator as the sidecar, so they cannot disagree with it.
 *
 * <p>Exit codes: 0 success, 1 invalid policies or failed cases, 2 usage error.
 */
@Command(
        name = "trustline-policy",
        mixinStandardHelpOptions = true,
        // --help and -V on every subcommand too.
        scope = CommandLine.ScopeType.INHERIT,
        versionProvider = TrustlineVersion.class,
        description = "Validates Trustline policies, runs their test cases and explains decisions.",
        subcommands = {
            CheckCommand.class,
            TestCommand.class,
            ExplainCommand.class,
            ImportIstioCommand.class,
            CommandLine.HelpCommand.class,
            AutoComplete.GenerateCompletion.class
        })
public final class PolicyCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // Before any logger exists: the library jar ships no logback.xml (the sidecar has its own),
        // so the CLI names its own concise configuration.
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "io/trustline/policy/cli/logback-cli.xml");
        }
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        System.exit(run(out, err, args));
    }

    /** Runs the CLI with the given streams; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new PolicyCli());
        cl.setOut(out);
        cl.setErr(err);
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(
                spec.commandLine(), "missing command (expected: check, test, explain or import-istio)");
    }
}
