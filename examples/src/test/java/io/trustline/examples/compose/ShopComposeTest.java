package io.trustline.examples.compose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
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
import java.io.File;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The docker-compose stack, for real, where a Docker engine exists: allowed and denied calls through the sidecars,
 * and the trace of an allowed call in Jaeger's query API. Skipped without Docker (Testcontainers says so), and
 * skipped with a message when the images have not been built ({@code ./mvnw -Pimages -Djib.goal=dockerBuild
 * package}). The in-JVM {@code DemoScenarioTest} covers the same behaviours everywhere.
 */
@Testcontainers(disabledWithoutDocker = true)
class ShopComposeTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TAG = "0.1.0-SNAPSHOT";
    private static final List<String> IMAGES = List.of(
            "trustline/trustline-ca:" + TAG, "trustline/trustline-sidecar:" + TAG, "trustline/trustline-shop:" + TAG);

    static ComposeContainer compose;
    static WebClient shop;
    static WebClient auth;
    static WebClient jaeger;

    @BeforeAll
    static void startTheStack() {
        for (String image : IMAGES) {
            assumeTrue(
                    imageExists(image),
                    "image " + image + " not found: build the images first with"
                            + " ./mvnw -B -Pimages -Djib.goal=dockerBuild -DskipTests package");
        }
        assumeTrue(
                dockerComposeInstalled(),
                "`docker compose` (the Compose v2 CLI) is not installed: the stack is not run");
        compose = new ComposeContainer(new File("../docker-compose.yml"))
                .withLocalCompose(true)
                .withExposedService("frontend", 15006, Wait.forListeningPort())
                .withExposedService("auth", 9000, Wait.forHttp("/healthz"))
                .withExposedService("jaeger", 16686, Wait.forHttp("/"))
                .withStartupTimeout(Duration.ofMinutes(3));
        compose.start();
        shop = client("frontend", 15006);
        auth = client("auth", 9000);
        jaeger = client("jaeger", 16686);
    }

    @AfterAll
    static void stopTheStack() {
        if (compose != null) {
            compose.stop();
        }
    }

    private static boolean dockerComposeInstalled() {
        try {
            final Process p = new ProcessBuilder("docker", "compose", "version")
                    .redirectErrorStream(true)
                    .start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (java.io.IOException | InterruptedException e) {
            return false;
        }
    }

    private static boolean imageExists(String image) {
        try {
            DockerClientFactory.instance().client().inspectImageCmd(image).exec();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static WebClient client(String service, int port) {
        return WebClient.builder(
                        "http://" + compose.getServiceHost(service, port) + ":" + compose.getServicePort(service, port))
                .responseTimeout(Duration.ofSeconds(15))
                .build();
    }

    private static String token(String user) {
        return auth.execute(
                        RequestHeaders.builder(HttpMethod.POST, "/token")
                                .contentType(MediaType.FORM_DATA)
                                .accept(MediaType.PLAIN_TEXT)
                                .build(),
                        "user=" + user)
                .aggregate()
                .join()
                .contentUtf8()
                .trim();
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

    private static byte[] random(int n) {
        final byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }

    private static String reason(AggregatedHttpResponse res) throws Exception {
        return JSON.readTree(res.contentUtf8()).path("reason").asText();
    }

    @Test
    void aliceReadsAnOrderAndTheTraceCrossesFrontendAndOrdersInJaeger() {
        final String traceId = HexFormat.of().formatHex(random(16));
        // The sidecars fetch the issuer's keys at start; the first call may come before they are ready.
        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> assertThat(call(HttpMethod.GET, "/shop/orders/1001", token("alice"), null, traceId)
                                .status()
                                .code())
                        .isEqualTo(200));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            final JsonNode trace = JSON.readTree(
                    jaeger.get("/api/traces/" + traceId).aggregate().join().contentUtf8());
            assertThat(trace.path("data").path(0).path("processes").toString())
                    .contains("\"frontend-sidecar\"", "\"orders-sidecar\"");
        });
    }

    @Test
    void bobCannotCreateAnOrderBecauseOrdersPolicyRefuses() throws Exception {
        final AggregatedHttpResponse res = call(
                HttpMethod.POST,
                "/shop/orders",
                token("bob"),
                "{\"sku\":\"mug\",\"quantity\":1}",
                HexFormat.of().formatHex(random(16)));
        assertThat(res.status().code()).isEqualTo(403);
        assertThat(reason(res)).isEqualTo("authz.no_allow_match");
    }

    @Test
    void aCallWithoutATokenIsRefusedAtTheEdge() throws Exception {
        final AggregatedHttpResponse res = call(
                HttpMethod.GET, "/shop/orders/1001", null, null, HexFormat.of().formatHex(random(16)));
        assertThat(res.status().code()).isEqualTo(403);
        assertThat(reason(res)).isEqualTo("authz.token_required");
    }
}
