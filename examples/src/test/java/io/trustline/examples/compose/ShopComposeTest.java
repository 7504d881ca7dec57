package io.trustline.examples.compose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The repository's {@code docker-compose.yml}, run for real in a Docker engine with the locally built images: calls
 * through the shop's published edge port, the sidecars' identities from the CA through their join tokens, the apps
 * calling each other by name under transparent capture, both inventory replicas serving, a sidecar container
 * restart, and the traces as Jaeger's query API returns them.
 *
 * <p>Runs in the {@code containers} Maven profile ({@code .ci/prepare && ./mvnw -B verify -Pcontainers}), where a
 * missing engine or image fails it; run any other way, it is skipped with a message saying what is missing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ShopComposeTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String TAG = "0.1.0-SNAPSHOT";
    private static final String LOCAL_JAEGER = "trustline/jaeger:1.75.0";
    private static final List<String> IMAGES = List.of(
            "trustline/trustline-ca:" + TAG, "trustline/trustline-sidecar:" + TAG, "trustline/trustline-shop:" + TAG);
    private static final Duration START = Duration.ofMinutes(6);
    private static final Pattern REQUEST_ID = Pattern.compile("request_id ([0-9a-f]+)");
    private static final String FRONTEND_ID = "spiffe://example.org/ns/shop/sa/frontend";
    private static final String ORDERS_ID = "spiffe://example.org/ns/shop/sa/orders";
    private static final List<String> INVENTORY_REPLICAS = List.of("inventory-1", "inventory-2");

    static ComposeProject stack;
    static WebClient shop;
    static WebClient auth;
    static WebClient jaeger;

    @BeforeAll
    static void startTheStack() throws Exception {
        requireOrSkip(ComposeProject.engineAnswers(), "no Docker engine answers (run .ci/prepare as root)");
        requireOrSkip(ComposeProject.composeInstalled(), "no Compose CLI (docker compose or docker-compose)");
        for (String image : IMAGES) {
            requireOrSkip(
                    ComposeProject.imageExists(image),
                    "image " + image + " not found: build it with ./mvnw -B -Pcontainers -DskipTests package");
        }
        stack = new ComposeProject(
                Path.of("..").toAbsolutePath().normalize(),
                "trustline-it-" + HexFormat.of().formatHex(random(4)));
        if (ComposeProject.imageExists(LOCAL_JAEGER)) {
            stack.env("JAEGER_IMAGE", LOCAL_JAEGER);
        }
        final int shopPort = stack.freePort("SHOP_PORT");
        final int authPort = stack.freePort("AUTH_PORT");
        final int jaegerPort = stack.freePort("JAEGER_UI_PORT");
        // `up` returns once every sidecar's health check (its /readyz) has passed: certificate, policies, JWKS.
        final ComposeProject.Result up = stack.compose(START.toSeconds(), "up", "-d");
        if (up.exitCode() != 0) {
            final String logs =
                    stack.compose(60, "logs", "--no-color", "--tail=40").output();
            stopTheStack();
            fail("docker compose up failed:\n" + up.output() + "\n" + logs);
        }
        shop = client(shopPort);
        auth = client(authPort);
        jaeger = client(jaegerPort);
        // The first calls through a fresh mesh are slow (cold JVMs, on a busy machine): warm the path up first.
        await("alice's first read through the edge")
                .atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofSeconds(1))
                .ignoreExceptions()
                .until(() -> call(HttpMethod.GET, "/shop/orders/1001", token("alice"), null, traceId())
                                .status()
                                .code()
                        == 200);
        await("Jaeger's query API")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    try {
                        return jaeger.get("/api/services")
                                        .aggregate()
                                        .join()
                                        .status()
                                        .code()
                                == 200;
                    } catch (RuntimeException e) {
                        return false;
                    }
                });
    }

    @AfterAll
    static void stopTheStack() {
        if (stack != null) {
            // Volumes too: the next run starts with a new CA and new tokens, whatever happened in this one.
            final ComposeProject.Result down = stack.compose(180, "down", "-v", "--remove-orphans");
            assertThat(down.exitCode()).as("compose down:\n%s", down.output()).isZero();
            stack = null;
        }
    }

    private static void requireOrSkip(boolean condition, String message) {
        if (Boolean.getBoolean("trustline.containers.required")) {
            if (!condition) {
                fail(message + " (required in the containers profile)");
            }
        } else {
            assumeTrue(condition, message);
        }
    }

    @Test
    @Order(1)
    void aliceCreatesAnOrderAndJaegerHasOneTraceAcrossTheThreeSidecars() throws Exception {
        // A cold first CreateOrder can outlast the frontend's 5 s gRPC deadline: each attempt is its own trace.
        final String[] created = new String[1];
        await("alice's order created")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    final String attempt = traceId();
                    final AggregatedHttpResponse res = call(
                            HttpMethod.POST,
                            "/shop/orders",
                            token("alice"),
                            "{\"sku\":\"tea\",\"quantity\":1}",
                            attempt);
                    created[0] = attempt;
                    return res.status().code() == 201;
                });
        final String traceId = created[0];

        final JsonNode trace = awaitTrace(traceId, Set.of("frontend", "orders", "inventory"));
        final Map<String, JsonNode> spans = new HashMap<>();
        trace.path("spans").forEach(span -> spans.put(span.path("spanID").asText(), span));
        // Each sidecar's spans hang under the previous hop's: inventory's under orders', orders' under frontend's.
        for (JsonNode span : spans.values()) {
            final String service = serviceOf(trace, span);
            if (!service.equals("frontend")) {
                final JsonNode parent = spans.get(parentOf(span));
                assertThat(parent).as("parent of a %s span", service).isNotNull();
                assertThat(serviceOf(trace, parent)).isIn(service, "frontend", "orders");
            }
        }
        assertThat(servicesUnder(trace, spans, "inventory")).contains("orders", "frontend");
        assertThat(servicesUnder(trace, spans, "orders")).contains("frontend");
        // The apps called each other by name; each inbound sidecar saw the caller's SPIFFE ID over mTLS.
        assertThat(spansOf(trace, "orders")).anySatisfy(span -> {
            assertThat(tag(span, "trustline.direction")).isEqualTo("inbound");
            assertThat(tag(span, "trustline.peer.spiffe_id")).isEqualTo(FRONTEND_ID);
        });
        assertThat(spansOf(trace, "inventory")).anySatisfy(span -> {
            assertThat(tag(span, "trustline.direction")).isEqualTo("inbound");
            assertThat(tag(span, "trustline.peer.spiffe_id")).isEqualTo(ORDERS_ID);
            assertThat(processTag(trace, span, "service.instance.id")).isIn(INVENTORY_REPLICAS);
        });
        // The search by service, as the Jaeger UI does it, finds the same trace.
        final JsonNode found = JSON.readTree(jaeger.get("/api/traces?service=frontend&limit=100&lookback=1h")
                .aggregate()
                .join()
                .contentUtf8());
        assertThat(found.path("data").findValuesAsText("traceID")).contains(traceId);
    }

    @Test
    @Order(2)
    void aliceReadsAnOrderOverTheGrpcHopFromFrontendToOrders() throws Exception {
        final String traceId = traceId();
        final AggregatedHttpResponse res = call(HttpMethod.GET, "/shop/orders/1001", token("alice"), null, traceId);
        assertThat(res.status().code()).as(res.contentUtf8()).isEqualTo(200);
        assertThat(res.contentUtf8()).contains("\"id\":\"1001\"");

        final JsonNode trace = awaitTrace(traceId, Set.of("frontend", "orders"));
        final boolean grpcAtOrders =
                spansOf(trace, "orders").stream().anyMatch(span -> "grpc".equals(tag(span, "rpc.system")));
        assertThat(grpcAtOrders).as("an orders span with rpc.system=grpc").isTrue();
    }

    @Test
    @Order(3)
    void bobCannotCreateAnOrderAndOrdersNeverSeesIt() throws Exception {
        final String traceId = traceId();
        final AggregatedHttpResponse res =
                call(HttpMethod.POST, "/shop/orders", token("bob"), "{\"sku\":\"mug\",\"quantity\":1}", traceId);
        assertThat(res.status().code()).isEqualTo(403);
        final JsonNode body = JSON.readTree(res.contentUtf8());
        assertThat(body.path("reason").asText()).isEqualTo("authz.no_allow_match");
        // The frontend app relays the gRPC status of orders' sidecar, whose description names its request id.
        final Matcher requestId = REQUEST_ID.matcher(body.path("error").asText());
        assertThat(requestId.find()).as(body.toString()).isTrue();

        // The orders app never got the call: no order of bob's exists.
        final AggregatedHttpResponse list = call(HttpMethod.GET, "/shop/orders", token("alice"), null, traceId());
        assertThat(list.status().code()).isEqualTo(200);
        assertThat(list.contentUtf8()).doesNotContain("\"user\":\"bob\"");

        // The refusal is a span at orders' sidecar, with its reason.
        final JsonNode trace = awaitTrace(traceId, Set.of("frontend", "orders"));
        assertThat(spansOf(trace, "orders")).anySatisfy(span -> {
            assertThat(tag(span, "trustline.reason")).isEqualTo("authz.no_allow_match");
            assertThat(tag(span, "trustline.decision")).isEqualTo("deny");
            assertThat(tag(span, "trustline.request_id")).isEqualTo(requestId.group(1));
        });
    }

    @Test
    @Order(4)
    void aCallWithoutATokenIsRefusedAtTheEdge() throws Exception {
        final AggregatedHttpResponse res = call(HttpMethod.GET, "/shop/orders/1001", null, null, traceId());
        assertThat(res.status().code()).isIn(401, 403);
        final JsonNode body = JSON.readTree(res.contentUtf8());
        assertThat(body.path("reason").asText()).isEqualTo("authz.token_required");
        assertThat(body.path("request_id").asText()).isNotBlank();
    }

    @Test
    @Order(5)
    void theAppsCallByNameThroughTheirSidecarAndNothingReachesAnAppPastItsSidecar() {
        // The orders app (not the sidecar's uid) calls inventory by name; capture brings the call to its sidecar,
        // which forwards it over mTLS as orders (inventory's policy lets orders read stock).
        awaitProbe("orders", "http://inventory:8080/stock/tea");
        // A name the app's sidecar has no route for is refused there: auth is on the same network, but the
        // frontend app's connection to it never leaves the pod.
        final ComposeProject.Result unrouted = probeFrom("frontend", "http://auth:9000/healthz");
        assertThat(unrouted.exitCode()).as(unrouted.output()).isNotZero();
        assertThat(unrouted.output()).contains("HTTP 404", "route.unknown");
        // The sidecar itself is not captured (uid 1337): it reaches auth directly.
        awaitProbe("frontend-sidecar", "http://auth:9000/healthz");
        // Uncaptured plaintext to an app's port is redirected at the peer to its sidecar's mTLS listener, never
        // reaching the app; the sidecar's own port is open.
        assertThat(probeFrom("frontend-sidecar", "tcp://orders:15006").exitCode())
                .isZero();
        assertThat(probeFrom("frontend-sidecar", "http://orders:8080/").exitCode())
                .isNotZero();
        assertThat(probeFrom("frontend-sidecar", "http://inventory:8080/stock/tea")
                        .exitCode())
                .isNotZero();
    }

    @Test
    @Order(6)
    void bothInventoryReplicasServeTheCallsOfOrdersByName() {
        // Each call is a new connection from the app; orders' sidecar picks a replica per request.
        for (int i = 0; i < 8; i++) {
            awaitProbe("orders", "http://inventory:8080/stock/tea");
        }
        for (String replica : INVENTORY_REPLICAS) {
            await(replica + " served orders' GET /stock/tea")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofSeconds(2))
                    .untilAsserted(() -> assertThat(accessLog(replica + "-sidecar"))
                            .anySatisfy(line -> {
                                assertThat(line.path("direction").asText()).isEqualTo("inbound");
                                assertThat(line.path("peer").asText()).isEqualTo(ORDERS_ID);
                                assertThat(line.path("method").asText()).isEqualTo("GET");
                                assertThat(line.path("path").asText()).isEqualTo("/stock/tea");
                                assertThat(line.path("decision").asText()).isEqualTo("allow");
                                assertThat(line.path("status").asInt()).isEqualTo(200);
                            }));
        }
    }

    @Test
    @Order(7)
    void aRestartedSidecarJoinsAgainAndServes() {
        final ComposeProject.Result restart = stack.compose(120, "restart", "orders-sidecar");
        assertThat(restart.exitCode()).as(restart.output()).isZero();
        await("orders behind its restarted sidecar")
                .atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(
                        () -> assertThat(call(HttpMethod.GET, "/shop/orders/1001", token("alice"), null, traceId())
                                        .status()
                                        .code())
                                .isEqualTo(200));
        // The capture rules live in the pod's network namespace, not in the sidecar container: they outlast it.
        awaitProbe("orders", "http://inventory:8080/stock/tea");
    }

    /** Runs {@link Probe} in {@code container}, as the container's own user. */
    private static ComposeProject.Result probeFrom(String container, String target) {
        return stack.compose(
                60,
                "exec",
                "-T",
                container,
                "java",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                "/app/classes",
                Probe.class.getName(),
                target);
    }

    /** Probes until it succeeds: the first calls through a cold sidecar can outlast the probe's 2 s timeout. */
    private static void awaitProbe(String container, String target) {
        await(container + " -> " + target)
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    final ComposeProject.Result r = probeFrom(container, target);
                    assertThat(r.exitCode()).as(r.output()).isZero();
                });
    }

    /** The JSON access-log lines a sidecar container wrote to its stdout. */
    private static List<JsonNode> accessLog(String container) {
        final ComposeProject.Result logs = stack.compose(60, "logs", "--no-color", container);
        final List<JsonNode> lines = new java.util.ArrayList<>();
        for (String line : logs.output().split("\n")) {
            final int json = line.indexOf("{\"type\":\"access\"");
            if (json >= 0) {
                try {
                    lines.add(JSON.readTree(line.substring(json)));
                } catch (java.io.IOException e) {
                    // Not one whole line (interleaved output): not an access-log line to match.
                }
            }
        }
        return lines;
    }

    /** Waits until Jaeger holds the trace with spans from each of {@code services}, and returns it. */
    private static JsonNode awaitTrace(String traceId, Set<String> services) {
        final JsonNode[] found = new JsonNode[1];
        await("trace " + traceId + " in Jaeger from " + services)
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    final AggregatedHttpResponse res =
                            jaeger.get("/api/traces/" + traceId).aggregate().join();
                    assertThat(res.status().code()).isEqualTo(200);
                    final JsonNode trace =
                            JSON.readTree(res.contentUtf8()).path("data").path(0);
                    final Set<String> names = new HashSet<>();
                    trace.path("processes")
                            .forEach(p -> names.add(p.path("serviceName").asText()));
                    assertThat(names).containsAll(services).doesNotContain("unknown_service");
                    found[0] = trace;
                });
        return found[0];
    }

    /** The services of the spans above every span of {@code service}. */
    private static Set<String> servicesUnder(JsonNode trace, Map<String, JsonNode> spans, String service) {
        final Set<String> above = new HashSet<>();
        for (JsonNode span : spansOf(trace, service)) {
            JsonNode parent = spans.get(parentOf(span));
            while (parent != null) {
                above.add(serviceOf(trace, parent));
                parent = spans.get(parentOf(parent));
            }
        }
        return above;
    }

    private static List<JsonNode> spansOf(JsonNode trace, String service) {
        final List<JsonNode> out = new java.util.ArrayList<>();
        trace.path("spans").forEach(span -> {
            if (serviceOf(trace, span).equals(service)) {
                out.add(span);
            }
        });
        return out;
    }

    private static String serviceOf(JsonNode trace, JsonNode span) {
        return trace.path("processes")
                .path(span.path("processID").asText())
                .path("serviceName")
                .asText();
    }

    private static String processTag(JsonNode trace, JsonNode span, String key) {
        for (JsonNode tag :
                trace.path("processes").path(span.path("processID").asText()).path("tags")) {
            if (key.equals(tag.path("key").asText())) {
                return tag.path("value").asText();
            }
        }
        return null;
    }

    private static String parentOf(JsonNode span) {
        for (JsonNode ref : span.path("references")) {
            if ("CHILD_OF".equals(ref.path("refType").asText())) {
                return ref.path("spanID").asText();
            }
        }
        return "";
    }

    private static String tag(JsonNode span, String key) {
        for (JsonNode tag : span.path("tags")) {
            if (key.equals(tag.path("key").asText())) {
                return tag.path("value").asText();
            }
        }
        return null;
    }

    private static WebClient client(int port) {
        return WebClient.builder("http://127.0.0.1:" + port)
                .responseTimeout(Duration.ofSeconds(15))
                .build();
    }

    private static String token(String user) {
        final AggregatedHttpResponse res = auth.execute(
                        RequestHeaders.builder(HttpMethod.POST, "/token")
                                .contentType(MediaType.FORM_DATA)
                                .accept(MediaType.PLAIN_TEXT)
                                .build(),
                        "user=" + user)
                .aggregate()
                .join();
        assertThat(res.status().code()).isEqualTo(200);
        return res.contentUtf8().trim();
    }

    private static AggregatedHttpResponse call(
            HttpMethod method, String path, String token, String json, String traceId) {
        final RequestHeadersBuilder h = RequestHeaders.builder(method, path)
                .set("traceparent", "00-" + traceId + "-" + HexFormat.of().formatHex(random(8)) + "-01");
        if (token != null) {
            h.set("authorization", "Bearer " + token);
        }
        if (json != null) {
            h.contentType(MediaType.JSON_UTF_8);
        }
        return shop.execute(HttpRequest.of(h.build(), json == null ? HttpData.empty() : HttpData.ofUtf8(json)))
                .aggregate()
                .join();
    }

    private static String traceId() {
        return HexFormat.of().formatHex(random(16));
    }

    private static byte[] random(int n) {
        final byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
