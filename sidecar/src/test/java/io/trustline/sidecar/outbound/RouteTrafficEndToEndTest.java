package io.trustline.sidecar.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.common.stream.StreamMessage;
import com.linecorp.armeria.server.Server;
import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.testing.TestCertificates;
import io.trustline.sidecar.Sidecar;
import io.trustline.sidecar.identity.StaticWorkloadIdentity;
import io.trustline.sidecar.testing.RawHttp;
import io.trustline.sidecar.testing.TestMesh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A route's timeout, retries, retry budget and limits, end to end: app (this test) -> frontend sidecar (outbound) ->
 * mTLS -> real backend sidecars (replicas of one identity) -> each replica's own {@link TrafficApp}, whose per-path
 * counts say how many attempts reached an app. The app's answer depends on the path: {@code /unavailable/...} is 503,
 * {@code /slow/...} answers after a minute, {@code /hold/...} waits for the test, anything else is 200.
 */
class RouteTrafficEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SpiffeId BACKEND = TestMesh.BACKEND;

    @TempDir
    static Path dir;

    static final List<AutoCloseable> closeables = new ArrayList<>();
    static CertificateAuthority ca;
    static Replica a;
    static Replica b;
    static Replica c;
    static Replica doomed;
    static Sidecar frontend;
    static WebClient outbound;

    /** A backend sidecar and the app behind it. */
    record Replica(Sidecar sidecar, TrafficApp app, String address) {}

    /** The backend app: answers by path and counts the requests of each path. */
    static final class TrafficApp implements AutoCloseable {
        final Map<String, AtomicLong> hits = new ConcurrentHashMap<>();
        final List<String> targets = new CopyOnWriteArrayList<>();
        final List<String> retryHeaders = new CopyOnWriteArrayList<>();
        final CountDownLatch held = new CountDownLatch(1);
        final CompletableFuture<HttpResponse> release = new CompletableFuture<>();
        final Server server;

        TrafficApp() {
            server = Server.builder()
                    .port(0, SessionProtocol.HTTP)
                    .requestTimeout(Duration.ZERO)
                    .serviceUnder(
                            "/",
                            (ctx, req) -> HttpResponse.of(req.aggregate().thenApply(agg -> {
                                hits.computeIfAbsent(ctx.path(), p -> new AtomicLong())
                                        .incrementAndGet();
                                targets.add(ctx.rawPath());
                                retryHeaders.add(String.valueOf(agg.headers().get("armeria-retry-count")));
                                if (ctx.path().startsWith("/unavailable/")) {
                                    return HttpResponse.of(HttpStatus.SERVICE_UNAVAILABLE);
                                }
                                if (ctx.path().startsWith("/slow/")) {
                                    return HttpResponse.delayed(HttpResponse.of(HttpStatus.OK), Duration.ofMinutes(1));
                                }
                                if (ctx.path().startsWith("/hold/")) {
                                    held.countDown();
                                    return HttpResponse.of(release);
                                }
                                return HttpResponse.of("ok " + agg.content().length());
                            })))
                    .build();
            server.start().join();
        }

        long hits(String path) {
            final AtomicLong n = hits.get(path);
            return n == null ? 0 : n.get();
        }

        @Override
        public void close() {
            release.complete(HttpResponse.of(HttpStatus.OK));
            server.close();
        }
    }

    @BeforeAll
    static void start() throws Exception {
        ca = TestCertificates.create(TestMesh.TRUST_DOMAIN, Clock.systemUTC()).ca();
        a = replica("a");
        b = replica("b");
        c = replica("c");
        doomed = replica("doomed");
        final Path frontendDir = dir.resolve("frontend");
        Files.createDirectories(frontendDir);
        final String id = ", identity: " + BACKEND;
        final String outboundYaml = "outbound:\n"
                + "  listen: 127.0.0.1:0\n"
                + "  limits: {connectTimeout: 1s}\n"
                + "  routes:\n"
                + "    healthy:\n"
                + "      endpoints: [" + a.address() + ", " + b.address() + ", " + doomed.address() + "]\n"
                + "      identity: " + BACKEND + "\n"
                + "      outlierDetection: {minimumRequests: 3, window: 10s, ejectionTime: 1h}\n"
                + "      retries: {attempts: 2}\n"
                + "    outage:\n"
                + "      endpoints: [" + a.address() + ", " + b.address() + ", " + c.address() + "]\n"
                + "      identity: " + BACKEND + "\n"
                + "      retries: {attempts: 3, budget: {ratio: 0.2, minPerSecond: 1, window: 30s}}\n"
                + "    slow: {address: " + a.address() + id + ", timeout: 500ms}\n"
                + "    guarded: {address: " + b.address() + id + ", limits: {maxConcurrent: 1, maxPending: 0}}\n"
                + "    single: {address: " + c.address() + id + ", retries: {attempts: 2}}\n"
                + "    posts: {address: " + c.address() + id + ", retries: {attempts: 2, methods: [POST]}}\n"
                + "    puts: {address: " + c.address() + id
                + ", retries: {attempts: 2, methods: [PUT], bufferBytes: 1024}}\n";
        frontend = track(Sidecar.start(
                TestMesh.config(frontendDir, TestMesh.FRONTEND, "127.0.0.1:0", 1, "http", "", outboundYaml),
                new StaticWorkloadIdentity(ca.issueOffline(TestMesh.FRONTEND, Duration.ofHours(1))),
                Clock.systemUTC()));
        outbound = WebClient.builder("http://127.0.0.1:" + frontend.outboundPort())
                .responseTimeout(Duration.ofSeconds(30))
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

    private static Replica replica(String name) throws Exception {
        final TrafficApp app = track(new TrafficApp());
        final Sidecar sidecar = track(Sidecar.start(
                TestMesh.config(
                        dir.resolve(name), BACKEND, "127.0.0.1:0", app.server.activeLocalPort(), "http", "", ""),
                new StaticWorkloadIdentity(ca.issueOffline(BACKEND, Duration.ofHours(1))),
                Clock.systemUTC()));
        return new Replica(sidecar, app, "127.0.0.1:" + sidecar.inboundPort());
    }

    private static CompletableFuture<AggregatedHttpResponse> send(HttpMethod method, String route, String path) {
        return outbound.execute(RequestHeaders.of(method, path, "host", route)).aggregate();
    }

    private static AggregatedHttpResponse call(HttpMethod method, String route, String path) {
        return send(method, route, path).join();
    }

    /** Requests for {@code path} that reached any replica's app. */
    private static long hits(String path) {
        return a.app().hits(path)
                + b.app().hits(path)
                + c.app().hits(path)
                + doomed.app().hits(path);
    }

    private static String reason(AggregatedHttpResponse res) throws Exception {
        return JSON.readTree(res.contentUtf8()).path("reason").asText();
    }

    private static double metric(String name, String route) {
        final String metrics = WebClient.of("http://127.0.0.1:" + frontend.adminPort())
                .get("/metrics")
                .aggregate()
                .join()
                .contentUtf8();
        final Matcher m = Pattern.compile("(?m)^" + name + "\\{route=\"" + route + "\"} (\\S+)$")
                .matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    @Test
    void anEndpointStoppedMidRunCostsNoIdempotentRequestAndIsEjected() {
        for (int i = 0; i < 30; i++) {
            assertThat(call(HttpMethod.GET, "healthy", "/ok/healthy").status().code())
                    .isEqualTo(200);
        }
        assertThat(doomed.app().hits("/ok/healthy")).isEqualTo(10);

        doomed.sidecar().close();
        for (int i = 0; i < 60; i++) {
            // Each call that picks the stopped replica fails to connect and is retried on the next endpoint.
            assertThat(call(HttpMethod.GET, "healthy", "/ok/healthy").status().code())
                    .as("call %s after the stop", i)
                    .isEqualTo(200);
        }
        assertThat(hits("/ok/healthy")).isEqualTo(90);
        assertThat(metric("trustline_outbound_retries_total", "healthy")).isGreaterThanOrEqualTo(1);
        // Each failed attempt counted for outlier detection, although its request succeeded on a retry. Armeria's
        // per-endpoint breaker re-reads its counters at most once a second, on a call's outcome: on a fast machine
        // the 60 calls fit in that second, so the calls go on (each still succeeding) until the ejection shows.
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            assertThat(call(HttpMethod.GET, "healthy", "/ok/healthy").status().code())
                    .isEqualTo(200);
            return metric("trustline_outbound_endpoint_ejections_total", "healthy") >= 1;
        });
    }

    @Test
    void inAFullOutageRetriesStayWithinTheBudgetAndTheCallerGetsThe503s() {
        final int requests = 100;
        for (int i = 0; i < requests; i++) {
            final AggregatedHttpResponse res = call(HttpMethod.GET, "outage", "/unavailable/outage");
            assertThat(res.status().code()).isEqualTo(503);
            // The app's own answer, not a refusal of the sidecar's.
            assertThat(res.contentUtf8()).doesNotContain("reason");
        }
        // ratio 0.2 of the requests plus minPerSecond 1 x window 30s; without the budget: 3 attempts each.
        final long attempts = hits("/unavailable/outage");
        assertThat(attempts).isGreaterThan(requests).isLessThanOrEqualTo((long) (requests * 1.2) + 30);
        assertThat(metric("trustline_outbound_retries_total", "outage")).isEqualTo(attempts - requests);
        assertThat(metric("trustline_outbound_retries_over_budget_total", "outage"))
                .isGreaterThan(0);
    }

    @Test
    void aSlowEndpointGetsTheCallerTheTimeoutReasonWithinTheRouteTimeout() throws Exception {
        final long start = System.nanoTime();
        final AggregatedHttpResponse res = call(HttpMethod.GET, "slow", "/slow/timeout");
        final long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(res.status().code()).isEqualTo(504);
        assertThat(reason(res)).isEqualTo("upstream.timeout");
        // The route's 500ms, not the app's minute (the generous margin is for a busy machine, not the claim).
        assertThat(tookMillis).isGreaterThanOrEqualTo(500).isLessThan(10_000);
        // The deadline covers all attempts: it ran out in the first, so there was no second.
        assertThat(hits("/slow/timeout")).isEqualTo(1);
    }

    @Test
    void aRouteAtItsLimitAnswersOverloadedAtOnceWhileTheHeldRequestIsStillOpen() throws Exception {
        final CompletableFuture<AggregatedHttpResponse> heldCall = send(HttpMethod.GET, "guarded", "/hold/guarded");
        assertThat(b.app().held.await(10, TimeUnit.SECONDS)).isTrue();

        final AggregatedHttpResponse refused = call(HttpMethod.GET, "guarded", "/ok/guarded");
        assertThat(refused.status().code()).isEqualTo(503);
        assertThat(reason(refused)).isEqualTo("upstream.overloaded");
        assertThat(heldCall).as("the held request is still open").isNotDone();
        assertThat(hits("/ok/guarded")).isZero();
        assertThat(metric("trustline_outbound_overloaded_total", "guarded")).isEqualTo(1);

        b.app().release.complete(HttpResponse.of("released"));
        assertThat(heldCall.join().contentUtf8()).isEqualTo("released");
        assertThat(call(HttpMethod.GET, "guarded", "/ok/guarded").status().code())
                .isEqualTo(200);
    }

    @Test
    void aPostIsNotRetriedUnlessTheRouteNamesItsMethod() {
        assertThat(call(HttpMethod.GET, "single", "/unavailable/get").status().code())
                .isEqualTo(503);
        assertThat(hits("/unavailable/get")).isEqualTo(2);

        assertThat(call(HttpMethod.POST, "single", "/unavailable/post").status().code())
                .isEqualTo(503);
        assertThat(hits("/unavailable/post")).isEqualTo(1);

        assertThat(call(HttpMethod.POST, "posts", "/unavailable/named-post")
                        .status()
                        .code())
                .isEqualTo(503);
        assertThat(hits("/unavailable/named-post")).isEqualTo(2);
    }

    @Test
    void onlyABodyOfKnownLengthWithinBufferBytesIsRetriedAndAStreamedOneIsNeverHeld() {
        assertThat(put("/unavailable/small", 100, true).status().code()).isEqualTo(503);
        assertThat(hits("/unavailable/small")).isEqualTo(2);
        assertThat(put("/unavailable/large", 2048, true).status().code()).isEqualTo(503);
        assertThat(hits("/unavailable/large")).isEqualTo(1);

        assertThat(put("/unavailable/small-streamed", 100, false).status().code())
                .isEqualTo(503);
        assertThat(hits("/unavailable/small-streamed")).isEqualTo(1);
        assertThat(put("/unavailable/large-streamed", 2048, false).status().code())
                .isEqualTo(503);
        assertThat(hits("/unavailable/large-streamed")).isEqualTo(1);
    }

    @Test
    void aRetryCarriesTheExactTargetAndNoHeaderOfItsOwn() throws Exception {
        // Sent raw: Armeria's client would turn %20 in the query into '+'. Every attempt carries the app's bytes.
        final String response = RawHttp.plain(
                frontend.outboundPort(),
                "GET /unavailable/exact?q=a%20b%2Bc HTTP/1.1\r\nHost: single\r\nConnection: close\r\n\r\n");
        assertThat(RawHttp.status(response)).isEqualTo(503);
        assertThat(hits("/unavailable/exact")).isEqualTo(2);
        assertThat(c.app().targets)
                .filteredOn(t -> t.startsWith("/unavailable/exact"))
                .containsExactly("/unavailable/exact?q=a%20b%2Bc", "/unavailable/exact?q=a%20b%2Bc");
        // Armeria marks a retry with armeria-retry-count: that is the client's, not the app's, header; an app's own
        // value (an Armeria client that retries itself) goes out unchanged on every attempt.
        assertThat(c.app()
                        .retryHeaders
                        .subList(
                                c.app().retryHeaders.size() - 2,
                                c.app().retryHeaders.size()))
                .containsExactly("null", "null");
        RawHttp.plain(
                frontend.outboundPort(),
                "GET /unavailable/app-count HTTP/1.1\r\nHost: single\r\narmeria-retry-count: 7\r\n"
                        + "Connection: close\r\n\r\n");
        assertThat(hits("/unavailable/app-count")).isEqualTo(2);
        assertThat(c.app()
                        .retryHeaders
                        .subList(
                                c.app().retryHeaders.size() - 2,
                                c.app().retryHeaders.size()))
                .containsExactly("7", "7");
    }

    /** A PUT on route {@code puts} (bufferBytes 1024) with a body of {@code bytes}, its length sent or streamed. */
    private static AggregatedHttpResponse put(String path, int bytes, boolean withLength) {
        final RequestHeaders headers =
                RequestHeaders.builder(HttpMethod.PUT, path).add("host", "puts").build();
        final byte[] half = new byte[bytes / 2];
        final HttpRequest req = withLength
                ? HttpRequest.of(headers, HttpData.wrap(new byte[bytes]))
                : HttpRequest.of(headers, StreamMessage.of(HttpData.wrap(half), HttpData.wrap(half)));
        return outbound.execute(req).aggregate().join();
    }
}
