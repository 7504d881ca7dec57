package io.trustline.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpRequestWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.trustline.sidecar.config.ConfigLoader;
import io.trustline.sidecar.identity.StaticWorkloadIdentity;
import io.trustline.sidecar.testing.TestMesh;
import io.trustline.sidecar.testing.v1.EchoGrpc;
import io.trustline.sidecar.testing.v1.EchoRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Overload protection through real sidecars: the backend's inbound listener serves one request at a time and queues
 * none; a second sidecar for the frontend's app (an "edge") has the same limit on its outbound listener. A streaming
 * upload that the test keeps open holds the slot.
 */
class OverloadEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static TestMesh mesh;
    static Sidecar edge;
    static WebClient outbound;

    @BeforeAll
    static void startMesh() throws Exception {
        mesh = TestMesh.start(
                dir,
                "  limits: {maxConcurrentRequests: 1, maxPendingRequests: 0}\n",
                "accessLog: {file: access.log}\n");
        outbound = WebClient.builder("http://127.0.0.1:" + mesh.frontend.outboundPort())
                .responseTimeout(Duration.ofSeconds(30))
                .build();
        final Path d = Files.createDirectories(dir.resolve("edge"));
        for (String f : new String[] {"cert.pem", "key.pem", "bundle.pem"}) {
            Files.writeString(d.resolve(f), "unused: the test hands the SVID over in code\n");
        }
        final String yaml = "service: frontend\nnamespace: shop\ntrustDomain: " + TestMesh.TRUST_DOMAIN + "\n"
                + "identity: {certFile: cert.pem, keyFile: key.pem, bundleFile: bundle.pem}\n"
                + "inbound: {listen: 127.0.0.1:0, app: 127.0.0.1:1}\n"
                + "outbound:\n"
                + "  listen: 127.0.0.1:0\n"
                + "  routes:\n"
                + "    backend: {address: 127.0.0.1:" + mesh.backend.inboundPort() + ", identity: " + TestMesh.BACKEND
                + "}\n"
                + "  limits: {maxConcurrentRequests: 1, maxPendingRequests: 0}\n"
                + "admin: {listen: 127.0.0.1:0}\n"
                + "accessLog: {file: access.log}\n";
        edge = Sidecar.start(
                new ConfigLoader().parse(d.resolve("sidecar.yaml"), yaml),
                new StaticWorkloadIdentity(mesh.issue(TestMesh.FRONTEND)),
                Clock.systemUTC());
    }

    @AfterAll
    static void stopMesh() throws Exception {
        edge.close();
        mesh.close();
    }

    /** Starts an upload to the backend through {@code port} and keeps its body open: it holds a slot. */
    private static HttpRequestWriter holdUpload(int port, CompletableFuture<AggregatedHttpResponse> response) {
        final HttpRequestWriter upload = HttpRequest.streaming(RequestHeaders.builder(HttpMethod.POST, "/upload")
                .authority("backend")
                .build());
        upload.write(HttpData.ofUtf8("first chunk"));
        WebClient.builder("http://127.0.0.1:" + port)
                .responseTimeout(Duration.ofSeconds(60))
                .build()
                .execute(upload)
                .aggregate()
                .whenComplete((res, cause) -> {
                    if (cause != null) {
                        response.completeExceptionally(cause);
                    } else {
                        response.complete(res);
                    }
                });
        return upload;
    }

    private static String metrics(Sidecar sidecar) {
        return WebClient.of("http://127.0.0.1:" + sidecar.adminPort())
                .get("/metrics")
                .aggregate()
                .join()
                .contentUtf8();
    }

    private static AggregatedHttpResponse get(int port, String path) {
        return WebClient.of("http://127.0.0.1:" + port)
                .execute(RequestHeaders.builder(HttpMethod.GET, path)
                        .authority("backend")
                        .build())
                .aggregate()
                .join();
    }

    /** The backend's one slot is free again (a slot is given back once the previous call's log is complete). */
    private static void awaitBackendFree() {
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() -> get(mesh.frontend.outboundPort(), "/echo/free").status() == HttpStatus.OK);
    }

    @Test
    void aFullInboundListenerAnswers503AndGrpcCallersUnavailable() throws Exception {
        awaitBackendFree();
        final CompletableFuture<AggregatedHttpResponse> held = new CompletableFuture<>();
        final long uploadsBefore = uploads();
        final HttpRequestWriter upload = holdUpload(mesh.frontend.outboundPort(), held);
        try {
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> uploads() > uploadsBefore);
            assertThat(metrics(mesh.backend)).contains("trustline_overload_active{listener=\"inbound\"} 1.0");
            refusesWhileFull();
        } finally {
            upload.close();
        }
        assertThat(held.join().status()).isEqualTo(HttpStatus.OK);
    }

    private static long uploads() {
        return mesh.httpApp.paths().stream().filter("/upload"::equals).count();
    }

    private static void refusesWhileFull() throws Exception {

        final long before = mesh.httpApp.requests();
        final AggregatedHttpResponse refused = get(mesh.frontend.outboundPort(), "/echo/busy");
        assertThat(refused.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(JSON.readTree(refused.contentUtf8()).get("reason").asText()).isEqualTo("overload.concurrency_limit");
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
        // Shed, yet still seen: overload protection sits inside telemetry.
        final JsonNode logged = awaitRefusalLogged(dir.resolve("backend/access.log"), "/echo/busy");
        assertThat(logged.get("direction").asText()).isEqualTo("inbound");
        assertThat(logged.get("status").asInt()).isEqualTo(503);
        assertThat(logged.get("decision").asText()).isEqualTo("error");
        assertThat(logged.get("request_id").asText())
                .isEqualTo(refused.headers().get("x-request-id"));
        assertThat(metrics(mesh.backend))
                .containsPattern("trustline_requests_total\\{decision=\"error\",[^}]*direction=\"inbound\","
                        + "[^}]*reason=\"overload.concurrency_limit\",[^}]*response_code=\"503\"[^}]*\\} 1.0");

        final ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", mesh.frontend.outboundPort())
                .usePlaintext()
                .overrideAuthority("backend")
                .build();
        try {
            assertThatThrownBy(() -> EchoGrpc.newBlockingStub(channel)
                            .unary(EchoRequest.newBuilder().build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                        assertThat(e.getStatus().getDescription()).contains("overload.concurrency_limit");
                    });
        } finally {
            channel.shutdownNow();
        }
        assertThat(metrics(mesh.backend))
                .contains(
                        "trustline_overload_refusals_total{listener=\"inbound\",reason=\"overload.concurrency_limit\"}"
                                + " 2.0");
    }

    @Test
    void aFullOutboundListenerAnswers503Itself() throws Exception {
        awaitBackendFree();
        final CompletableFuture<AggregatedHttpResponse> held = new CompletableFuture<>();
        final HttpRequestWriter upload = holdUpload(edge.outboundPort(), held);
        try {
            Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> metrics(edge).contains("trustline_overload_active{listener=\"outbound\"} 1.0"));
            final AggregatedHttpResponse refused = get(edge.outboundPort(), "/echo/busy");
            assertThat(refused.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
            assertThat(JSON.readTree(refused.contentUtf8()).get("reason").asText())
                    .isEqualTo("overload.concurrency_limit");
            assertThat(metrics(edge))
                    .contains("trustline_overload_refusals_total{listener=\"outbound\","
                            + "reason=\"overload.concurrency_limit\"} 1.0");
            assertThat(awaitRefusalLogged(dir.resolve("edge/access.log"), "/echo/busy")
                            .get("direction")
                            .asText())
                    .isEqualTo("outbound");
        } finally {
            upload.close();
        }
        assertThat(held.join().status()).isEqualTo(HttpStatus.OK);
    }

    /** Waits for the access-log line of an overload refusal of {@code path} in {@code log}. */
    private static JsonNode awaitRefusalLogged(Path log, String path) {
        return Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> refusalLine(log, path), l -> l != null);
    }

    private static JsonNode refusalLine(Path log, String path) throws Exception {
        if (!Files.exists(log)) {
            return null;
        }
        for (String line : Files.readAllLines(log)) {
            final JsonNode node = JSON.readTree(line);
            if (path.equals(node.path("path").asText())
                    && "overload.concurrency_limit".equals(node.path("reason").asText())) {
                return node;
            }
        }
        return null;
    }
}
