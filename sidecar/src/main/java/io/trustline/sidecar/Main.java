package io.trustline.sidecar;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.common.Flags;
import com.linecorp.armeria.server.Server;
import io.netty.handler.ssl.OpenSsl;
import io.netty.util.ResourceLeakDetector;
import io.trustline.ca.cli.TrustlineVersion;
import io.trustline.policy.PolicyLoader;
import io.trustline.policy.error.PolicyParseException;
import io.trustline.sidecar.capture.IptablesCommand;
import io.trustline.sidecar.config.ConfigException;
import io.trustline.sidecar.config.ConfigLoader;
import io.trustline.sidecar.config.SidecarConfig;
import io.trustline.sidecar.identity.Identities;
import io.trustline.sidecar.identity.WorkloadIdentity;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code java -jar trustline-sidecar.jar --config sidecar.yaml}, or {@code ... iptables [--print|--apply|--clean]} for
 * the pod's capture rules ({@link IptablesCommand}).
 */
@Command(
        name = "trustline-sidecar",
        mixinStandardHelpOptions = true,
        versionProvider = TrustlineVersion.class,
        description = "Runs the Trustline sidecar beside one service: mTLS inbound, routed outbound, policy.",
        subcommands = {IptablesCommand.class, AutoComplete.GenerateCompletion.class})
public final class Main implements Callable<Integer> {

    /** Exit code for a config file that cannot be used. */
    static final int EXIT_CONFIG = 2;
    /** Exit code when the sidecar cannot start (no identity, port taken). */
    static final int EXIT_START = 3;

    // Not required by picocli, which would then demand it of the iptables subcommand too; checked in call().
    @Option(names = "--config", description = "Path to sidecar.yaml (required to run the sidecar).")
    Path config;

    @Spec
    CommandSpec spec;

    @Option(
            names = "--check",
            description = "Validate the config file and everything it refers to (identity files, policy directory,"
                    + " listener ports), print every problem and exit: 0 when all is well, "
                    + EXIT_CONFIG
                    + " otherwise. Contacts no CA.")
    boolean checkOnly;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public Integer call() {
        if (config == null) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "Missing required option: '--config=<config>'");
        }
        final ResourceLeakDetector.Level leakDetection = leakDetectionDefault(System::getProperty);
        if (leakDetection != null) {
            ResourceLeakDetector.setLevel(leakDetection);
        }
        // Logging is initialised here, on one thread: the first log calls arriving from several threads at once
        // (the tasks below) would find SLF4J mid-initialisation and be replayed, with a warning banner on every start.
        LoggerFactory.getILoggerFactory();
        final SidecarConfig cfg;
        try {
            cfg = new ConfigLoader().load(config);
        } catch (ConfigException e) {
            e.errors().forEach(System.err::println);
            return EXIT_CONFIG;
        }
        if (checkOnly) {
            return check(cfg);
        }
        // A broken policy directory must stop start-up before the (single-use) join token is spent.
        if (cfg.policy() != null) {
            try {
                PolicyLoader.load(cfg.policy().dir());
            } catch (PolicyParseException e) {
                e.errors().forEach(error -> System.err.println(error));
                return EXIT_CONFIG;
            }
        }
        // While the CA answers, initialise the TLS and HTTP machinery on another core (start-up budget: 1.5 s).
        final CompletableFuture<Void> warmUp = CompletableFuture.runAsync(Main::warmUp);
        final Clock clock = Clock.systemUTC();
        final WorkloadIdentity identity;
        try {
            identity = Identities.obtain(cfg, clock);
        } catch (RuntimeException e) {
            System.err.println("trustline-sidecar: no workload identity: " + e.getMessage());
            return EXIT_START;
        }
        warmUp.join();
        final Sidecar sidecar;
        try {
            sidecar = Sidecar.start(cfg, identity, clock);
        } catch (PolicyParseException e) {
            identity.close();
            e.errors().forEach(error -> System.err.println(error));
            return EXIT_CONFIG;
        } catch (ListenerBindException e) {
            identity.close();
            System.err.println("trustline-sidecar: cannot start: " + e.getMessage());
            return EXIT_START;
        } catch (RuntimeException e) {
            identity.close();
            System.err.println("trustline-sidecar: cannot start: " + rootMessage(e));
            return EXIT_START;
        }
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            sidecar.close();
                            stopped.countDown();
                        },
                        "trustline-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    private int check(SidecarConfig cfg) {
        final StartupCheck check = StartupCheck.run(cfg, Clock.systemUTC());
        check.warnings().forEach(System.err::println);
        check.problems().forEach(System.err::println);
        if (!check.problems().isEmpty()) {
            final int n = check.problems().size();
            System.err.println(config + ": " + n + (n == 1 ? " problem" : " problems"));
            return EXIT_CONFIG;
        }
        System.err.println(config + ": ok");
        return 0;
    }

    /**
     * Netty's leak detection, unless the operator chose a level ({@code -Dio.netty.leakDetection.level=simple}): off.
     * Its default samples about one pooled buffer in 128 and fills in a stack trace for it when it is allocated and
     * when it is released; under load that was 3-4% of each sidecar's CPU samples in bench/profile.sh, nearly all
     * the stack traces filled in on the request path (docs/performance.md).
     *
     * @return the level to set, or null to leave Netty's as the operator set it
     */
    static ResourceLeakDetector.@Nullable Level leakDetectionDefault(UnaryOperator<@Nullable String> properties) {
        final boolean chosen = properties.apply("io.netty.leakDetection.level") != null
                || properties.apply("io.netty.leakDetectionLevel") != null;
        return chosen ? null : ResourceLeakDetector.Level.DISABLED;
    }

    /** Class initialisation the listeners would otherwise pay for after the certificate arrives. */
    private static void warmUp() {
        OpenSsl.isAvailable();
        Flags.transportType();
        Server.builder();
        ClientFactory.builder();
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getMessage() != null ? c.getMessage() : c.getClass().getSimpleName();
    }
}
