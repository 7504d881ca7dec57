package io.trustline.sidecar.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.KeyType;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.X509Svid;
import io.trustline.sidecar.Main;
import io.trustline.sidecar.testing.TestMesh;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two pods as two network namespaces joined by a veth pair, each with its capture rules applied by
 * {@code trustline-sidecar iptables --apply} and its sidecar running as group {@value #PROXY_GID} (the group the
 * rules exempt), as an init step and a sidecar container would. The apps are {@link PlainHttpApp}: the JDK's HTTP
 * client and server, which know nothing of Trustline. The frontend's app calls {@code http://backend:8080/...} by
 * name; the rules bring the call to its sidecar, which sends it over mTLS to the backend pod, whose rules bring it
 * to the backend's sidecar.
 *
 * <p>Needs root, {@code ip}, {@code iptables-restore}, {@code ip6tables-restore} and {@code setpriv}
 * ({@code .ci/prepare} installs them). Elsewhere it is skipped with the reason; under CI ({@code CI=true}) it fails.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TransparentCaptureTest {

    private static final int PROXY_GID = 1337;
    private static final String FRONTEND_IP = "10.213.0.1";
    private static final String BACKEND_IP = "10.213.0.2";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static final String SUFFIX = HexFormat.of().formatHex(new SecureRandom().generateSeed(3));
    private static final String FRONTEND_NS = "tl-capture-a-" + SUFFIX;
    private static final String BACKEND_NS = "tl-capture-b-" + SUFFIX;
    private static final List<String> namespaces = new ArrayList<>();
    private static final List<Process> processes = new ArrayList<>();

    private static Path backendApp;

    @BeforeAll
    static void startTwoPods() throws Exception {
        requireNetworkNamespaces();
        namespace(FRONTEND_NS, "127.0.0.1 localhost\n" + BACKEND_IP + " backend\n" + BACKEND_IP + " unrouted\n");
        namespace(BACKEND_NS, "127.0.0.1 localhost\n" + FRONTEND_IP + " frontend\n");
        run(
                "ip",
                "-n",
                FRONTEND_NS,
                "link",
                "add",
                "eth0",
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "netns",
                BACKEND_NS);
        for (String[] end : new String[][] {{FRONTEND_NS, FRONTEND_IP}, {BACKEND_NS, BACKEND_IP}}) {
            run("ip", "-n", end[0], "addr", "add", end[1] + "/24", "dev", "eth0");
            run("ip", "-n", end[0], "link", "set", "lo", "up");
            run("ip", "-n", end[0], "link", "set", "eth0", "up");
        }

        final CertificateAuthority ca =
                CertificateAuthority.createRoot(TestMesh.TRUST_DOMAIN, KeyType.EC_P256, Clock.systemUTC());
        final Path frontend = pod(ca, TestMesh.FRONTEND);
        final Path backend = pod(ca, TestMesh.BACKEND);
        Files.writeString(
                frontend.resolve("sidecar.yaml"),
                sidecarYaml(frontend, "frontend", 1)
                        + "outbound:\n"
                        + "  listen: 127.0.0.1:15001\n"
                        + "  routes:\n"
                        + "    backend: {address: " + BACKEND_IP + ":15006, identity: " + TestMesh.BACKEND
                        + ", servicePort: 8080}\n");
        Files.createDirectories(backend.resolve("policies"));
        Files.writeString(backend.resolve("policies").resolve("inbound.yaml"), TestMesh.policy("backend"));
        Files.writeString(
                backend.resolve("sidecar.yaml"),
                sidecarYaml(backend, "backend", 8080) + "policy: {dir: " + backend.resolve("policies") + "}\n");

        // The backend's app listens on every address, as an unchanged app in a pod does: only capture keeps the
        // network from reaching it in plaintext.
        backendApp = start(BACKEND_NS, backend.resolve("app.log"), List.of(), PlainHttpApp.class, "serve", "8080");
        awaitLine(backendApp, "listening on 8080");
        for (String ns : namespaces) {
            sidecarCli(ns, "iptables", "--apply", "--proxy-gid", String.valueOf(PROXY_GID));
        }
        final List<String> asProxy = List.of("setpriv", "--regid", String.valueOf(PROXY_GID), "--clear-groups");
        for (Path pod : List.of(frontend, backend)) {
            final String ns = pod == frontend ? FRONTEND_NS : BACKEND_NS;
            final Path log = pod.resolve("sidecar.log");
            start(
                    ns,
                    log,
                    asProxy,
                    Main.class,
                    "--config",
                    pod.resolve("sidecar.yaml").toString());
            awaitLine(log, "sidecar ready");
        }
    }

    @AfterAll
    static void removeTwoPods() throws Exception {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        for (String ns : namespaces) {
            new ProcessBuilder("ip", "netns", "del", ns).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
            deleteRecursively(Path.of("/etc/netns", ns));
        }
    }

    @Test
    void appCallsAnotherPodByNameAndTheCalleeSeesTheCallersVerifiedIdentity() throws Exception {
        final String output = get(FRONTEND_NS, "http://backend:8080/hello");

        assertThat(output).contains("status: 200", "path: /hello");
        // Only the backend's sidecar sets XFCC, and only from a verified client certificate: mTLS between the two.
        assertThat(output).containsPattern("xfcc: .*URI=" + TestMesh.FRONTEND);
        assertThat(appLog()).contains("served /hello");
        final JsonNode out = onlyLine(dir.resolve("frontend").resolve("access.log"), "/hello");
        assertThat(out.path("direction").asText()).isEqualTo("outbound");
        assertThat(out.path("route").asText()).isEqualTo("backend");
        assertThat(out.path("status").asInt()).isEqualTo(200);
        final JsonNode in = onlyLine(dir.resolve("backend").resolve("access.log"), "/hello");
        assertThat(in.path("direction").asText()).isEqualTo("inbound");
        assertThat(in.path("peer").asText()).isEqualTo(TestMesh.FRONTEND.toString());
    }

    /**
     * First, so that the frontend's sidecar opens its connection to the backend during this call and no caller of
     * the proxy group (the bypass tests below) has touched the exemption rule's counter yet.
     */
    @Test
    @Order(1)
    void theSidecarsOwnUpstreamConnectionIsNotCapturedAgain() throws Exception {
        final long redirectedBefore = packets(FRONTEND_NS, "-A TRUSTLINE_OUTPUT -j TRUSTLINE_REDIRECT");

        final String output = get(FRONTEND_NS, "http://backend:8080/once");

        // Had the sidecar's connection to the backend been redirected into its own outbound listener, the call
        // would fail (TLS into a plaintext listener) or come back round as a second outbound request.
        assertThat(output).contains("status: 200", "path: /once");
        assertThat(onlyLine(dir.resolve("frontend").resolve("access.log"), "/once")
                        .path("direction")
                        .asText())
                .isEqualTo("outbound");
        assertThat(packets(FRONTEND_NS, "-A TRUSTLINE_OUTPUT -j TRUSTLINE_REDIRECT"))
                .as("connections redirected to the outbound listener: the app's one, not the sidecar's")
                .isEqualTo(redirectedBefore + 1);
        assertThat(packets(FRONTEND_NS, "-A TRUSTLINE_OUTPUT -m owner --gid-owner " + PROXY_GID + " -j RETURN"))
                .as("connections let out uncaptured because they are the sidecar's")
                .isPositive();
    }

    @Test
    void aNameThatIsNoRouteIsRefusedAndNeverLeavesThePod() throws Exception {
        final String output = get(FRONTEND_NS, "http://unrouted:8080/elsewhere");

        assertThat(output).contains("status: 404", "\"reason\":\"route.unknown\"");
        assertThat(appLog()).doesNotContain("/elsewhere");
    }

    @Test
    void aPortThatIsNotTheRoutesServicePortIsNoRoute() throws Exception {
        final String output = get(FRONTEND_NS, "http://backend:9090/other-port");

        assertThat(output).contains("status: 404", "\"reason\":\"route.unknown\"");
        assertThat(appLog()).doesNotContain("/other-port");
    }

    @Test
    void plaintextThatBypassesTheCallersSidecarMeetsTheCalleesMtlsListener() throws Exception {
        // Run as the proxy group, the caller's rules let this call out uncaptured: a workload outside the mesh.
        final String output = get(FRONTEND_NS, List.of("setpriv", "--regid", "1337", "--clear-groups"), "/direct");

        assertThat(output).startsWith("failed:");
        assertThat(appLog()).doesNotContain("/direct");
    }

    @Test
    void theProbePortIsNotCapturedInbound() throws Exception {
        final String output = get(
                FRONTEND_NS,
                List.of("setpriv", "--regid", "1337", "--clear-groups"),
                "http://" + BACKEND_IP + ":15020/readyz");

        assertThat(output).contains("status: 200");
    }

    /** Last: it takes the frontend pod's rules away. */
    @Test
    @Order(Integer.MAX_VALUE)
    void applyingAgainKeepsOneCopyOfTheRulesAndCleanRemovesThemAll() throws Exception {
        sidecarCli(FRONTEND_NS, "iptables", "--apply", "--proxy-gid", String.valueOf(PROXY_GID));
        final String applied = run("ip", "netns", "exec", FRONTEND_NS, "iptables-save", "-t", "nat");
        assertThat(applied.lines().filter(l -> l.equals("-A PREROUTING -p tcp -j TRUSTLINE_INBOUND")))
                .hasSize(1);
        assertThat(applied.lines().filter(l -> l.equals("-A OUTPUT -p tcp -j TRUSTLINE_OUTPUT")))
                .hasSize(1);
        // One copy of the six rules in gid-defaults-ipv4.golden, not two.
        assertThat(applied.lines().filter(l -> l.startsWith("-A TRUSTLINE_OUTPUT")))
                .hasSize(6);

        sidecarCli(FRONTEND_NS, "iptables", "--clean");

        assertThat(run("ip", "netns", "exec", FRONTEND_NS, "iptables-save", "-t", "nat"))
                .doesNotContain("TRUSTLINE");
        assertThat(run("ip", "netns", "exec", FRONTEND_NS, "ip6tables-save", "-t", "nat"))
                .doesNotContain("TRUSTLINE");
    }

    /** Runs {@code trustline-sidecar args} in {@code ns} and asserts it succeeds, showing its output if not. */
    private static void sidecarCli(String ns, String... args) throws Exception {
        final Process p = java(ns, List.of(), Main.class, args);
        final String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS))
                .as("%s finished", List.of(args))
                .isTrue();
        assertThat(p.exitValue()).as("%s in %s: %s", List.of(args), ns, output).isZero();
    }

    private static String sidecarYaml(Path pod, String service, int appPort) {
        return "service: " + service + "\n"
                + "namespace: shop\n"
                + "trustDomain: " + TestMesh.TRUST_DOMAIN + "\n"
                + "identity: {certFile: " + pod.resolve("cert.pem") + ", keyFile: " + pod.resolve("key.pem")
                + ", bundleFile: " + pod.resolve("bundle.pem") + "}\n"
                + "inbound: {listen: 0.0.0.0:15006, app: 127.0.0.1:" + appPort + "}\n"
                + "admin: {listen: 127.0.0.1:15000, probeListen: 0.0.0.0:15020}\n"
                + "telemetry: {tracing: {enabled: false}}\n"
                + "accessLog: {sink: file, file: " + pod.resolve("access.log") + "}\n";
    }

    private static Path pod(CertificateAuthority ca, SpiffeId id) throws IOException {
        final Path pod = Files.createDirectories(
                dir.resolve(id.path().substring(id.path().lastIndexOf('/') + 1)));
        final X509Svid svid = ca.issueOffline(id, Duration.ofHours(1));
        Files.writeString(pod.resolve("cert.pem"), svid.chainPem());
        Files.writeString(pod.resolve("key.pem"), svid.privateKeyPem());
        Files.writeString(pod.resolve("bundle.pem"), ca.trustBundle().toPem());
        return pod;
    }

    private static void namespace(String ns, String hosts) throws Exception {
        run("ip", "netns", "add", ns);
        namespaces.add(ns);
        // `ip netns exec` bind-mounts this file over /etc/hosts: how the app resolves other pods by name.
        final Path etc = Files.createDirectories(Path.of("/etc/netns", ns));
        Files.writeString(etc.resolve("hosts"), hosts);
    }

    private static String get(String ns, String url) throws Exception {
        return get(ns, List.of(), url);
    }

    private static String get(String ns, List<String> wrapper, String urlOrPath) throws Exception {
        final String url = urlOrPath.startsWith("/") ? "http://backend:8080" + urlOrPath : urlOrPath;
        final Process client = java(ns, wrapper, PlainHttpApp.class, "get", url);
        final String output = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(client.waitFor(60, TimeUnit.SECONDS)).as("client finished").isTrue();
        return output;
    }

    private static String appLog() throws IOException {
        return Files.readString(dir.resolve("backend").resolve("app.log"));
    }

    /** The one access-log line for {@code path}, once written (the log is written off the event loop). */
    private static JsonNode onlyLine(Path log, String path) {
        final List<JsonNode> lines = new ArrayList<>();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            lines.clear();
            for (String line : Files.readAllLines(log)) {
                final JsonNode node = JSON.readTree(line);
                if (path.equals(node.path("path").asText())) {
                    lines.add(node);
                }
            }
            assertThat(lines).as("access-log lines for %s in %s", path, log).isNotEmpty();
        });
        assertThat(lines).as("access-log lines for %s in %s", path, log).hasSize(1);
        return lines.get(0);
    }

    /** The packet counter of {@code rule} (as iptables-save prints it); nat rules see each connection's first. */
    private static long packets(String ns, String rule) throws Exception {
        for (String line : run("ip", "netns", "exec", ns, "iptables-save", "-c", "-t", "nat")
                .lines()
                .toList()) {
            if (line.endsWith("] " + rule)) {
                return Long.parseLong(line.substring(1, line.indexOf(':')));
            }
        }
        return fail("no rule '%s' in %s", rule, ns);
    }

    private static Process java(String ns, List<String> wrapper, Class<?> main, String... args) throws IOException {
        return new ProcessBuilder(command(ns, wrapper, main, args))
                .redirectErrorStream(true)
                .start();
    }

    private static Path start(String ns, Path log, List<String> wrapper, Class<?> main, String... args)
            throws IOException {
        processes.add(new ProcessBuilder(command(ns, wrapper, main, args))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start());
        return log;
    }

    /** {@code main} in its own JVM inside {@code ns}, run through {@code wrapper} (e.g. setpriv) if any. */
    private static List<String> command(String ns, List<String> wrapper, Class<?> main, String... args) {
        final List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        command.addAll(wrapper);
        command.addAll(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // Short-lived JVMs on a shared machine: the quick compiler and the smallest collector.
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                main.getName()));
        command.addAll(List.of(args));
        return command;
    }

    private static void awaitLine(Path log, String line) {
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> Files.exists(log) && Files.readString(log).contains(line));
    }

    private static String run(String... command) throws Exception {
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("%s: %s", String.join(" ", command), output).isZero();
        return output;
    }

    /** Root and the tools, or a skip that says what is missing; under CI a failure instead, never a silent pass. */
    private static void requireNetworkNamespaces() throws Exception {
        final List<String> missing = new ArrayList<>();
        final Process id = new ProcessBuilder("id", "-u").start();
        if (!new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                .strip()
                .equals("0")) {
            missing.add("root");
        }
        for (String tool : List.of("ip", "iptables-restore", "ip6tables-restore", "iptables-save", "setpriv")) {
            if (!onPath(tool)) {
                missing.add(tool);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        final String reason = "transparent capture needs network namespaces; missing: " + String.join(", ", missing);
        if ("true".equals(System.getenv("CI"))) {
            fail(reason + " (CI=true: .ci/prepare installs iproute2, iptables and util-linux; run as root)");
        }
        Assumptions.abort(reason);
    }

    private static boolean onPath(String tool) {
        final String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin:/sbin";
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    private static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (var paths = Files.walk(path)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
