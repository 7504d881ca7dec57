package io.trustline.sidecar.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.RequestHeaders;
import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.testing.TestCertificates;
import io.trustline.sidecar.Sidecar;
import io.trustline.sidecar.identity.StaticWorkloadIdentity;
import io.trustline.sidecar.testing.TestDnsServer;
import io.trustline.sidecar.testing.TestHttpApp;
import io.trustline.sidecar.testing.TestMesh;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Routes with many endpoints, end to end: app (this test) -> frontend sidecar (outbound) -> mTLS -> one of several
 * real backend sidecars (replicas of one identity) -> each replica's own app, whose request count says which replica
 * served. Two replicas listen on the same port of 127.0.0.2 and 127.0.0.3, so that a real DNS server (in the test, on
 * UDP) can move a route between them by its answer alone.
 */
class RouteEndpointsEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SpiffeId BACKEND = TestMesh.BACKEND;
    private static final String DNS_NAME = "backend.trustline.test";

    @TempDir
    static Path dir;

    static final List<AutoCloseable> closeables = new ArrayList<>();
    static CertificateAuthority ca;
    static TestDnsServer dns;
    static Replica a;
    static Replica b;
    static Replica c;
    static Replica doomed;
    static Sidecar frontend;
    static WebClient outbound;
    static Path endpointsFile;

    /** A backend sidecar and the app behind it. */
    record Replica(Sidecar sidecar, TestHttpApp app, String address) {}

    @BeforeAll
    static void start() throws Exception {
        ca = TestCertificates.create(TestMesh.TRUST_DOMAIN, Clock.systemUTC()).ca();
        final int sharedPort = portFreeOn("127.0.0.2", "127.0.0.3");
        a = replica("a", "127.0.0.2:" + sharedPort);
        b = replica("b", "127.0.0.3:" + sharedPort);
        c = replica("c", "127.0.0.1:0");
        doomed = replica("doomed", "127.0.0.1:0");
        dns = track(new TestDnsServer(DNS_NAME));
        dns.answer(List.of(InetAddress.getByName("127.0.0.2")));

        final Path frontendDir = dir.resolve("frontend");
        Files.createDirectories(frontendDir);
        endpointsFile = frontendDir.resolve("listed.endpoints");
        write(endpointsFile, a.address() + "\n");
        Files.writeString(frontendDir.resolve("empty.endpoints"), "# no replicas yet\n");
        final String outboundYaml = "outbound:\n"
                + "  listen: 127.0.0.1:0\n"
                + "  limits: {connectTimeout: 1s}\n"
                + "  routes:\n"
                + "    three: {endpoints: [" + a.address() + ", " + b.address() + ", " + c.address() + "], identity: "
                + BACKEND + "}\n"
                + "    ejecting:\n"
                + "      endpoints: [" + a.address() + ", " + b.address() + ", " + doomed.address() + "]\n"
                + "      identity: " + BACKEND + "\n"
                + "      outlierDetection: {minimumRequests: 3, window: 10s, ejectionTime: 1h}\n"
                + "    resolved:\n"
                + "      dns: {name: " + DNS_NAME + ", port: " + sharedPort + ", maxTtl: 1s, servers: [127.0.0.1:"
                + dns.address().getPort() + "]}\n"
                + "      identity: " + BACKEND + "\n"
                + "    listed: {file: listed.endpoints, identity: " + BACKEND + "}\n"
                + "    nobody: {file: empty.endpoints, identity: " + BACKEND + "}\n"
                + "accessLog: {file: access.log}\n";
        frontend = track(Sidecar.start(
                TestMesh.config(frontendDir, TestMesh.FRONTEND, "127.0.0.1:0", 1, "http", "", outboundYaml),
                new StaticWorkloadIdentity(ca.issueOffline(TestMesh.FRONTEND, Duration.ofHours(1))),
                Clock.systemUTC()));
        outbound = WebClient.builder("http://127.0.0.1:" + frontend.outboundPort())
                .responseTimeout(Duration.ofSeconds(20))
                .build();
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable closeable : closeables) {
            closeable.close();
        }
    }

    private static <T extends AutoCloseable> T track(T t) {
        closeables.add(0, t);
        return t;
    }

    private static Replica replica(String name, String listen) throws Exception {
        final TestHttpApp app = track(new TestHttpApp());
        final Sidecar sidecar = track(Sidecar.start(
                TestMesh.config(dir.resolve(name), BACKEND, listen, app.port(), "http", "", ""),
                new StaticWorkloadIdentity(ca.issueOffline(BACKEND, Duration.ofHours(1))),
                Clock.systemUTC()));
        final String host = listen.substring(0, listen.indexOf(':'));
        return new Replica(sidecar, app, host + ':' + sidecar.inboundPort());
    }

    /** A port that is free on both addresses now. */
    private static int portFreeOn(String first, String second) throws IOException {
        for (int attempt = 0; ; attempt++) {
            final int port;
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(first, 0));
                port = s.getLocalPort();
            }
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(second, port));
                return port;
            } catch (IOException e) {
                if (attempt > 20) {
                    throw e;
                }
            }
        }
    }

    private static AggregatedHttpResponse call(String route) {
        return outbound.execute(RequestHeaders.of(HttpMethod.GET, "/echo/replicas", "host", route))
                .aggregate()
                .join();
    }

    /** Requests each replica's app has received: a, b, c, doomed. */
    private static long[] served() {
        return new long[] {
            a.app().requests(),
            b.app().requests(),
            c.app().requests(),
            doomed.app().requests()
        };
    }

    private static long[] since(long[] before) {
        final long[] now = served();
        final long[] delta = new long[now.length];
        for (int i = 0; i < now.length; i++) {
            delta[i] = now[i] - before[i];
        }
        return delta;
    }

    private static void write(Path file, String content) throws IOException {
        // Replaced in one step, as a ConfigMap update is: the poller never reads half a file.
        final Path tmp = Files.writeString(file.resolveSibling(file.getFileName() + ".tmp"), content);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static double ejections(String route) {
        return metric("trustline_outbound_endpoint_ejections_total{route=\"" + route + "\"}");
    }

    /** The gauge of a route's endpoints in {@code state} (serving, ejected), or -1 when absent. */
    private static double endpoints(String route, String state) {
        return metric("trustline_outbound_endpoints{route=\"" + route + "\",state=\"" + state + "\"}");
    }

    /** The value of one series (name and labels as the frontend's {@code /metrics} prints them), or -1 if absent. */
    private static double metric(String series) {
        final String metrics = WebClient.of("http://127.0.0.1:" + frontend.adminPort())
                .get("/metrics")
                .aggregate()
                .join()
                .contentUtf8();
        final Matcher m =
                Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    private static List<JsonNode> accessLines(String route) throws IOException {
        final List<JsonNode> lines = new ArrayList<>();
        final Path log = dir.resolve("frontend/access.log");
        if (!Files.exists(log)) {
            return lines;
        }
        for (String line : Files.readAllLines(log)) {
            final JsonNode json = JSON.readTree(line);
            if (route.equals(json.path("route").asText())) {
                lines.add(json);
            }
        }
        return lines;
    }

    @Test
    void requestsAreBalancedRoundRobinOverAStaticListAndTheAccessLogNamesEachServingEndpoint() throws Exception {
        final long[] before = served();
        for (int i = 0; i < 30; i++) {
            assertThat(call("three").status().code()).isEqualTo(200);
        }
        // Requests, not connections: HTTP/2 would send all of them over one connection to one replica otherwise.
        assertThat(since(before)).containsExactly(10, 10, 10, 0);

        await().atMost(Duration.ofSeconds(10)).until(() -> accessLines("three").size() >= 30);
        final Set<String> upstreams = new HashSet<>();
        for (JsonNode line : accessLines("three")) {
            upstreams.add(line.get("upstream").asText());
        }
        assertThat(upstreams).containsExactlyInAnyOrder(a.address(), b.address(), c.address());
    }

    @Test
    void aStoppedEndpointIsEjectedAndGetsNoMoreRequests() {
        assertThat(ejections("ejecting")).isZero();
        final double serving = endpoints("ejecting", "serving");
        assertThat(serving).isGreaterThan(1);
        assertThat(endpoints("ejecting", "ejected")).isZero();
        doomed.sidecar().close();

        // Each third call goes to the stopped replica and fails to connect until outlier detection ejects it.
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            call("ejecting");
            return ejections("ejecting") >= 1;
        });
        assertThat(ejections("ejecting")).isEqualTo(1);

        final long[] before = served();
        for (int i = 0; i < 20; i++) {
            assertThat(call("ejecting").status().code()).isEqualTo(200);
        }
        assertThat(since(before)).containsExactly(10, 10, 0, 0);
        assertThat(ejections("ejecting")).isEqualTo(1);
        assertThat(endpoints("ejecting", "ejected"))
                .as("the breaker state: one endpoint out")
                .isEqualTo(1);
        assertThat(endpoints("ejecting", "serving")).isEqualTo(serving - 1);
    }

    @Test
    void aDnsAnswerThatChangesMovesTheRouteWithoutARestart() {
        final long[] before = served();
        for (int i = 0; i < 4; i++) {
            assertThat(call("resolved").status().code()).isEqualTo(200);
        }
        assertThat(since(before)).containsExactly(4, 0, 0, 0);

        dns.answer(List.of(address("127.0.0.3")));
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            final long[] was = served();
            call("resolved");
            return since(was)[1] == 1;
        });
        final long[] moved = served();
        for (int i = 0; i < 4; i++) {
            assertThat(call("resolved").status().code()).isEqualTo(200);
        }
        assertThat(since(moved)).containsExactly(0, 4, 0, 0);
        assertThat(dns.queries()).isGreaterThan(1);
    }

    private static InetAddress address(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (IOException e) {
            throw new IllegalArgumentException(ip, e);
        }
    }

    @Test
    void aWatchedFileChangeIsPickedUpAndABrokenVersionKeepsTheLastGoodList() throws Exception {
        final ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        final Logger fileLogger =
                (Logger) LoggerFactory.getLogger("io.trustline.sidecar.outbound.endpoints.FileEndpointGroup");
        fileLogger.addAppender(logs);
        try {
            final long[] before = served();
            for (int i = 0; i < 4; i++) {
                assertThat(call("listed").status().code()).isEqualTo(200);
            }
            assertThat(since(before)).containsExactly(4, 0, 0, 0);

            write(endpointsFile, "# moved to b\n" + b.address() + "\n");
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                final long[] was = served();
                call("listed");
                return since(was)[1] == 1;
            });

            write(endpointsFile, b.address() + "\nnot-an-endpoint\n");
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> logs.list.stream()
                            .anyMatch(e -> e.getFormattedMessage().startsWith("endpoints file rejected")));
            final ILoggingEvent rejected = logs.list.stream()
                    .filter(e -> e.getFormattedMessage().startsWith("endpoints file rejected"))
                    .findFirst()
                    .orElseThrow();
            assertThat(rejected.getKeyValuePairs())
                    .extracting(kv -> kv.key + "=" + kv.value)
                    .contains("route=listed", "file=" + endpointsFile, "line=2", "column=1");

            final long[] kept = served();
            for (int i = 0; i < 4; i++) {
                assertThat(call("listed").status().code()).isEqualTo(200);
            }
            assertThat(since(kept)).containsExactly(0, 4, 0, 0);
        } finally {
            fileLogger.detachAppender(logs);
        }
    }

    @Test
    void aRouteWithNoEndpointsAnswers503WithItsReason() throws Exception {
        final AggregatedHttpResponse res = call("nobody");
        assertThat(res.status().code()).isEqualTo(503);
        final JsonNode body = JSON.readTree(res.contentUtf8());
        assertThat(body.get("reason").asText()).isEqualTo("upstream.no_endpoints");
        assertThat(body.get("request_id").asText()).isNotBlank();
        assertThat(body.size()).isEqualTo(3);
    }
}
