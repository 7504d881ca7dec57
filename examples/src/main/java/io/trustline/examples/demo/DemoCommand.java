package io.trustline.examples.demo;

import io.trustline.ca.cli.DurationConverter;
import io.trustline.ca.cli.TrustlineVersion;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar examples/target/trustline-examples.jar}: starts the example mesh on loopback, runs the scenario,
 * then leaves the mesh running for curl until Ctrl-C ({@code --once} or {@code TRUSTLINE_DEMO_ONCE=1}: exit after
 * the scenario, with status 1 if any step did not give the expected outcome).
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        versionProvider = TrustlineVersion.class,
        description = "Runs the example shop and its sidecars in this JVM and walks through zero trust on every hop.")
public final class DemoCommand implements Callable<Integer> {

    @Option(
            names = "--once",
            defaultValue = "${env:TRUSTLINE_DEMO_ONCE:-false}",
            fallbackValue = "true",
            arity = "0..1",
            description = "Exit after the scenario (for CI). Env: TRUSTLINE_DEMO_ONCE=1.")
    String once;

    @Option(
            names = "--auth-port",
            defaultValue = "9000",
            description = "Port of the token issuer on 127.0.0.1 (0: any). Default: ${DEFAULT-VALUE}.")
    int authPort;

    @Option(
            names = "--frontend-port",
            defaultValue = "8080",
            description =
                    "Port of the shop's edge (the frontend's sidecar) on 127.0.0.1 (0: any). Default: ${DEFAULT-VALUE}.")
    int frontendPort;

    @Option(
            names = "--cert-ttl",
            defaultValue = "10m",
            converter = DurationConverter.class,
            description = "Certificate lifetime of the frontend and inventory sidecars. Default: ${DEFAULT-VALUE}.")
    Duration certTtl;

    @Option(
            names = "--orders-cert-ttl",
            defaultValue = "20s",
            converter = DurationConverter.class,
            description = "Certificate lifetime of the orders sidecar, short so that a renewal happens during the"
                    + " demo (at about half of it, so every few seconds while the mesh runs). Default:"
                    + " ${DEFAULT-VALUE}.")
    Duration ordersCertTtl;

    @Option(
            names = "--work-dir",
            description =
                    "Where sidecar configs, policies and logs go. Default: a temporary directory, removed on exit.")
    @Nullable
    Path workDir;

    /** Sends the libraries' logs to stderr at WARN so the scenario reads cleanly; called before any logger exists. */
    public static void quietLogging() {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "io/trustline/examples/logback-demo.xml");
        }
    }

    @Override
    public Integer call() throws Exception {
        final PrintStream out = System.out;
        final boolean exitAfterScenario = "true".equalsIgnoreCase(once) || "1".equals(once);
        final Path given = workDir;
        final boolean tempDir = given == null;
        final Path dir = given == null ? Files.createTempDirectory("trustline-demo") : given;
        final Telemetry telemetry = Telemetry.detect();

        out.println("Trustline demo: a shop of three services, each behind its own sidecar, on loopback.");
        out.println("Starting the CA, the token issuer, the services and their sidecars ...");
        final long started = System.nanoTime();
        final DemoMesh mesh;
        try {
            mesh = DemoMesh.start(new DemoMesh.Options(authPort, frontendPort, certTtl, ordersCertTtl, dir, telemetry));
        } catch (Exception e) {
            if (hasCause(e, BindException.class)) {
                System.err.println("demo: a port is in use (auth " + authPort + ", frontend " + frontendPort
                        + "); pick others with --auth-port/--frontend-port, or 0 for any");
                return 3;
            }
            throw e;
        }
        final CountDownLatch stopped = new CountDownLatch(1);
        final Runnable stopMesh = () -> {
            mesh.close();
            if (tempDir) {
                DemoMesh.deleteRecursively(dir);
            }
            stopped.countDown();
        };
        final Thread shutdown = new Thread(stopMesh, "demo-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdown);
        printTopology(out, mesh, Duration.ofNanos(System.nanoTime() - started));
        printTelemetry(out, telemetry);

        final List<Step> steps = new Scenario(mesh, out, ordersCertTtl.plusSeconds(15)).run();
        final long good = steps.stream().filter(Step::asExpected).count();
        out.printf(Locale.ROOT, "%n%d of %d steps gave the expected outcome.%n", good, steps.size());
        if (telemetry.jaegerUi() != null) {
            out.println("Each step's trace: " + telemetry.jaegerUi() + "/trace/<trace id>");
        }

        if (exitAfterScenario) {
            Runtime.getRuntime().removeShutdownHook(shutdown);
            stopMesh.run();
            return good == steps.size() ? 0 : 1;
        }
        printTryIt(out, mesh);
        stopped.await();
        return 0;
    }

    private static void printTopology(PrintStream out, DemoMesh mesh, Duration took) {
        out.printf(Locale.ROOT, "Ready in %.1f s:%n", took.toMillis() / 1000.0);
        out.printf(
                Locale.ROOT,
                "  CA          127.0.0.1:%d  (trust domain %s; every sidecar got its certificate with a join token)%n",
                mesh.ca().port(),
                DemoMesh.TRUST_DOMAIN);
        out.printf(
                Locale.ROOT,
                "  auth        %s  (issuer %s, JWKS at /.well-known/jwks.json)%n",
                mesh.authUrl(),
                DemoMesh.ISSUER);
        for (String service : DemoMesh.SERVICES) {
            final var sidecar = mesh.sidecar(service);
            out.printf(
                    Locale.ROOT,
                    "  %-10s  app 127.0.0.1:%-5d  sidecar inbound %-5d%s admin %d  %s%n",
                    service,
                    mesh.appPort(service),
                    sidecar.inboundPort(),
                    sidecar.config().outbound() != null ? " outbound " + sidecar.outboundPort() : "",
                    sidecar.adminPort(),
                    sidecar.tls().self());
        }
        out.println("  The shop's edge is the frontend's sidecar: " + mesh.frontendUrl()
                + " (plaintext accepted there only; every other hop is mTLS)");
    }

    private static void printTelemetry(PrintStream out, Telemetry telemetry) {
        if (telemetry.exporting()) {
            out.println("Traces go to " + telemetry.otlpEndpoint()
                    + (telemetry.jaegerUi() != null ? " (Jaeger UI: " + telemetry.jaegerUi() + ")" : ""));
        } else {
            out.println("Traces: no OTLP endpoint found (OTEL_EXPORTER_OTLP_ENDPOINT unset, nothing on localhost:4317)."
                    + " To see each step in Jaeger, start one and run the demo again:");
            out.println("  " + Telemetry.JAEGER_COMMAND);
        }
    }

    private static void printTryIt(PrintStream out, DemoMesh mesh) {
        final String shop = mesh.frontendUrl();
        out.println();
        out.println("The mesh keeps running. Try it (Ctrl-C stops everything):");
        out.println("  TOKEN=$(curl -s -H 'Accept: text/plain' -d user=alice " + mesh.authUrl() + "/token)");
        out.println("  curl -s -H \"Authorization: Bearer $TOKEN\" " + shop + "/shop/orders/1001");
        out.println("  curl -sN -H \"Authorization: Bearer $TOKEN\" " + shop + "/shop/orders");
        out.println("  curl -s -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\");
        out.println("       -d '{\"sku\":\"mug\",\"quantity\":1}' " + shop + "/shop/orders");
        out.println("  curl -s " + shop + "/shop/orders/1001                     # no token");
        out.println("  # as a compromised frontend (its sidecar's outbound listener), straight to inventory:");
        out.println("  curl -s -H 'Host: inventory' -H \"Authorization: Bearer $TOKEN\" -d '{\"quantity\":1}' \\");
        out.println("       http://127.0.0.1:" + mesh.sidecar("frontend").outboundPort() + "/stock/tea/reservations");
        out.println("  curl -s http://127.0.0.1:" + mesh.sidecar("orders").adminPort() + "/metrics | grep trustline_");
        out.println("Work directory (sidecar configs, policies: edit one and it reloads): "
                + mesh.options().workDir());
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }
}
