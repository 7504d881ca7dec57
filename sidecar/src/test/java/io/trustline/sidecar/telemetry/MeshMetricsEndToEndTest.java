package io.trustline.sidecar.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.ClientTlsSpec;
import com.linecorp.armeria.client.RequestOptions;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.TlsKeyPair;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.trustline.ca.X509Svid;
import io.trustline.sidecar.testing.TestMesh;
import io.trustline.sidecar.testing.v1.EchoGrpc;
import io.trustline.sidecar.testing.v1.EchoRequest;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The request metrics of real two-hop calls (app -> frontend sidecar -> mTLS -> backend sidecar -> app), read the way
 * Prometheus reads them: scraped from the admin port's {@code /metrics}.
 */
class MeshMetricsEndToEndTest {

    private static final String REQUESTS = "trustline_requests_total";

    @TempDir
    static Path dir;

    static TestMesh mesh;
    static WebClient outbound;

    @BeforeAll
    static void start() throws Exception {
        mesh = TestMesh.start(dir, "", "accessLog: {sink: off}\n");
        outbound = WebClient.builder("http://127.0.0.1:" + mesh.frontend.outboundPort())
                .responseTimeout(Duration.ofSeconds(30))
                .build();
    }

    @AfterAll
    static void stop() throws Exception {
        mesh.close();
    }

    private static void grpcCall(String authority, boolean deny) {
        final ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", mesh.frontend.outboundPort())
                .usePlaintext()
                .overrideAuthority(authority)
                .build();
        try {
            final Metadata md = new Metadata();
            if (deny) {
                md.put(Metadata.Key.of("x-deny", Metadata.ASCII_STRING_MARSHALLER), "yes");
            }
            EchoGrpc.newBlockingStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md))
                    .unary(EchoRequest.newBuilder().setMessage("hi").build());
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void deniedGrpcCallIsCountedWithItsGrpcStatusAndBothWorkloads() {
        assertThatThrownBy(() -> grpcCall("grpc-backend", true))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            final PrometheusSamples in = PrometheusSamples.scrape(mesh.grpcBackend.adminPort());
            assertThat(in.sum(
                            REQUESTS,
                            "direction",
                            "inbound",
                            "request_protocol",
                            "grpc",
                            "response_code",
                            "200",
                            "grpc_response_status",
                            "7",
                            "decision",
                            "deny",
                            "reason",
                            "authz.denied_by_rule",
                            "source_workload",
                            "frontend",
                            "source_namespace",
                            "shop",
                            "source_principal",
                            TestMesh.FRONTEND.toString(),
                            "destination_workload",
                            "grpc-backend",
                            "destination_namespace",
                            "shop",
                            "destination_principal",
                            TestMesh.GRPC_BACKEND.toString()))
                    .isEqualTo(1);
            // A gRPC refusal is HTTP 200: no 2xx request may hide it from an error rate on grpc_response_status.
            assertThat(in.sum(REQUESTS, "request_protocol", "grpc", "grpc_response_status", "0"))
                    .isZero();

            final PrometheusSamples out = PrometheusSamples.scrape(mesh.frontend.adminPort());
            assertThat(out.sum(
                            REQUESTS,
                            "direction",
                            "outbound",
                            "request_protocol",
                            "grpc",
                            "grpc_response_status",
                            "7",
                            "source_workload",
                            "frontend",
                            "destination_workload",
                            "grpc-backend",
                            "destination_principal",
                            TestMesh.GRPC_BACKEND.toString()))
                    .isEqualTo(1);
        });
    }

    @Test
    void allowedHttpCallIsCountedWith200AndBothWorkloads() {
        final AggregatedHttpResponse res = outbound.execute(RequestHeaders.builder(HttpMethod.GET, "/echo/counted")
                        .authority("backend")
                        .build())
                .aggregate()
                .join();
        assertThat(res.status()).isEqualTo(HttpStatus.OK);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            final PrometheusSamples in = PrometheusSamples.scrape(mesh.backend.adminPort());
            assertThat(in.sum(
                            REQUESTS,
                            "direction",
                            "inbound",
                            "request_protocol",
                            "http",
                            "response_code",
                            "200",
                            "grpc_response_status",
                            "none",
                            "decision",
                            "allow",
                            "reason",
                            "authz.allowed",
                            "source_workload",
                            "frontend",
                            "source_namespace",
                            "shop",
                            "destination_workload",
                            "backend",
                            "destination_namespace",
                            "shop"))
                    .isGreaterThanOrEqualTo(1);
            assertThat(in.sum(
                            "trustline_request_duration_seconds_count",
                            "direction",
                            "inbound",
                            "source_workload",
                            "frontend",
                            "destination_workload",
                            "backend",
                            "request_protocol",
                            "http"))
                    .isGreaterThanOrEqualTo(1);
        });
    }

    @Test
    void unknownRouteIsCountedWithAnUnknownDestinationNotTheHostAsked() {
        final AggregatedHttpResponse res = outbound.execute(RequestHeaders.builder(HttpMethod.GET, "/x")
                        .authority("no-such-service-" + System.nanoTime())
                        .build())
                .aggregate()
                .join();
        assertThat(res.status().code()).isGreaterThanOrEqualTo(400);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(PrometheusSamples.scrape(mesh.frontend.adminPort())
                                .sum(
                                        REQUESTS,
                                        "direction",
                                        "outbound",
                                        "destination_workload",
                                        "unknown",
                                        "destination_namespace",
                                        "unknown",
                                        "destination_principal",
                                        "unknown",
                                        "decision",
                                        "deny"))
                        .isGreaterThanOrEqualTo(1));
        assertThat(PrometheusSamples.scrape(mesh.frontend.adminPort()).samples())
                .noneMatch(s -> s.labels().values().stream().anyMatch(v -> v.startsWith("no-such-service")));
    }

    @Test
    void latencyHistogramHasSubMillisecondBuckets() {
        outbound.execute(RequestHeaders.builder(HttpMethod.GET, "/echo/fast")
                        .authority("backend")
                        .build())
                .aggregate()
                .join();
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(PrometheusSamples.scrape(mesh.backend.adminPort())
                                .find("trustline_request_duration_seconds_bucket", "direction", "inbound"))
                        .extracting(s -> s.labels().get("le"))
                        .contains("1.0E-4", "2.5E-4", "5.0E-4", "0.001"));
    }

    @Test
    void jvmAndProcessMetricsAreExported() {
        final PrometheusSamples samples = PrometheusSamples.scrape(mesh.backend.adminPort());
        assertThat(samples.has("jvm_memory_used_bytes")).isTrue();
        assertThat(samples.has("jvm_gc_pause_seconds_count") || samples.has("jvm_gc_memory_allocated_bytes_total"))
                .isTrue();
        assertThat(samples.has("jvm_threads_live_threads")).isTrue();
        assertThat(samples.has("process_cpu_usage")).isTrue();
        assertThat(samples.has("process_uptime_seconds")).isTrue();
    }

    @Test
    void refusedClientCertificateIsCountedAsATlsHandshakeFailureByReason() {
        final Clock twoHoursAgo = Clock.fixed(Instant.now().minus(Duration.ofHours(2)), ZoneOffset.UTC);
        final X509Svid svid = mesh.ca.withClock(twoHoursAgo).issueOffline(TestMesh.FRONTEND, Duration.ofHours(1));
        final PrometheusSamples start = PrometheusSamples.scrape(mesh.backend.adminPort());
        final double before =
                start.sum("trustline_tls_handshake_failures_total", "listener", "inbound", "reason", "svid.expired");
        final double allBefore = start.sum("armeria_server_tls_handshakes_total", "result", "failure");
        try (ClientFactory factory = ClientFactory.builder().build()) {
            assertThatThrownBy(() -> WebClient.builder("https://127.0.0.1:" + mesh.backend.inboundPort())
                            .factory(factory)
                            .build()
                            .execute(
                                    HttpRequest.of(HttpMethod.GET, "/echo/rogue"),
                                    RequestOptions.builder()
                                            .clientTlsSpec(ClientTlsSpec.builder()
                                                    .tlsKeyPair(TlsKeyPair.of(svid.privateKey(), svid.chain()))
                                                    .trustedCertificates(mesh.ca
                                                            .trustBundle()
                                                            .roots())
                                                    .endpointIdentificationAlgorithm("")
                                                    .build())
                                            .build())
                            .aggregate()
                            .join())
                    .hasRootCauseInstanceOf(javax.net.ssl.SSLException.class);
        }
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(PrometheusSamples.scrape(mesh.backend.adminPort())
                                .find("trustline_tls_handshake_failures_total", "listener", "inbound"))
                        .filteredOn(s -> s.value() > 0)
                        .extracting(s -> s.labels().get("reason") + "=" + s.value())
                        .containsExactly("svid.expired=" + (before + 1)));
        // Armeria's own counter has every failed handshake (a client with no certificate, an old TLS version...).
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(PrometheusSamples.scrape(mesh.backend.adminPort())
                                .sum("armeria_server_tls_handshakes_total", "result", "failure"))
                        .isEqualTo(allBefore + 1));
    }
}
