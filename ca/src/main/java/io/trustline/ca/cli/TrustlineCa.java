package io.trustline.ca.cli;

import java.io.PrintWriter;
import java.time.Clock;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code trustline-ca} command line: initialise a CA, serve it, manage join tokens, issue an
 * SVID offline, print the trust bundle. Errors are one line on stderr and a non-zero exit code.
 */
@Command(
        name = "trustline-ca",
        mixinStandardHelpOptions = true,
        // --help and -V on every subcommand too, so `init --help` shows the options instead of demanding them.
        scope = CommandLine.ScopeType.INHERIT,
        versionProvider = TrustlineVersion.class,
        description = "Trustline's certificate authority: X.509-SVIDs for the mesh.",
        subcommands = {
            InitCommand.class,
            ServeCommand.class,
            TokenCommand.class,
            IssueCommand.class,
            BundleCommand.class,
            AutoComplete.GenerateCompletion.class
        })
public final class TrustlineCa implements Runnable {

    /** Exit code for an operation that failed (bad input files, refused overwrite...). */
    static final int EXIT_FAILURE = 1;
    /** Exit code for a command line that does not parse. */
    static final int EXIT_USAGE = 2;

    // grpc-java logs through java.util.logging; a strong reference keeps this level in force.
    private static final java.util.logging.Logger GRPC_LOGGER = java.util.logging.Logger.getLogger("io.grpc");

    final Clock clock;

    TrustlineCa(Clock clock) {
        this.clock = clock;
    }

    /** Runs the CLI and exits with its exit code. */
    public static void main(String[] args) {
        // Must happen before the first logger exists; see the comment in trustline-ca-logback.xml.
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "trustline-ca-logback.xml");
        }
        // A client that is not speaking gRPC (a port scan, a TLS probe) is not worth a stack trace.
        GRPC_LOGGER.setLevel(java.util.logging.Level.WARNING);
        final int code =
                execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true), Clock.systemUTC());
        System.exit(code);
    }

    /** Runs the CLI in-process and returns its exit code (tests call this). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err, Clock clock) {
        final CommandLine commandLine = new CommandLine(new TrustlineCa(clock));
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setParameterExceptionHandler((e, ignored) -> {
            e.getCommandLine().getErr().println("trustline-ca: " + e.getMessage() + " (see --help)");
            return EXIT_USAGE;
        });
        commandLine.setExecutionExceptionHandler((e, cmd, ignored) -> {
            cmd.getErr().println("trustline-ca: " + message(e));
            return EXIT_FAILURE;
        });
        final int code = commandLine.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    private static String message(Throwable e) {
        Throwable cause = e;
        // Unwrap wrappers that add no meaning (UncheckedIOException and friends).
        while (cause.getCause() != null
                && (cause.getMessage() == null || cause instanceof java.io.UncheckedIOException)) {
            cause = cause.getCause();
        }
        final String message = cause.getMessage();
        if (message == null || message.isBlank()) {
            return "failed: " + cause.getClass().getSimpleName();
        }
        return message.replace('\n', ' ');
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "missing command");
    }
}
