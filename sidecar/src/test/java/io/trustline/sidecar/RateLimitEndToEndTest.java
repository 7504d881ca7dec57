package io.trustline.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
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
import io.trustline.ca.SpiffeId;
import io.trustline.ca.X509Svid;
import io.trustline.sidecar.testing.FakeTicker;
import io.trustline.sidecar.testing.TestMesh;
import io.trustline.sidecar.testing.v1.EchoGrpc;
import io.trustline.sidecar.testing.v1.EchoRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rate limits and the penalty box through real sidecars: callers reach {@code backend} through the frontend's
 * outbound listener (as the frontend) or directly over mTLS with their own SVIDs, and gRPC calls reach
 * {@code grpc-backend}. The backends' time is a fake ticker, so bucket arithmetic is exact.
 */
class RateLimitEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SpiffeId TESTER = SpiffeId.of(TestMesh.TRUST_DOMAIN, "shop", "tester");
    private static final SpiffeId INTRUDER = SpiffeId.of(TestMesh.TRUST_DOMAIN, "shop", "intruder");
    private static final SpiffeId PROBER = SpiffeId.of(TestMesh.TRUST_DOMAIN, "shop", "prober");
    private static final Metadata.Key<String> RETRY_AFTER =
            Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> LIMIT =
            Metadata.Key.of("ratelimit-limit", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> REMAINING =
            Metadata.Key.of("ratelimit-remaining", Metadata.ASCII_STRING_MARSHALLER);

    @TempDir
    static Path dir;

    static final FakeTicker ticker = new FakeTicker();
    static TestMesh mesh;
    static WebClient outbound;
    static ManagedChannel channel;
    static final List<ClientFactory> factories = new ArrayList<>();

    @BeforeAll
    static void startMesh() throws Exception {
        // Policy files next to TestMesh's own: the limits, a second allowed caller, and a penalty box.
        writePolicy(
                TestMesh.BACKEND,
                ""
                        + "  rules:\n"
                        + "    - {name: tester-may-call, action: allow, from: {principals: [\"" + TESTER + "\"]}}\n"
                        + "  rateLimits:\n"
                        + "    - {name: five-per-ten-seconds, match: {paths: [\"/echo/verify*\"]}, key: principal,"
                        + " rate: 30/m, burst: 5}\n"
                        + "    - {name: reads, match: {methods: [GET], paths: [\"/echo/rw*\"]}, key: principal,"
                        + " rate: 1/h, burst: 4}\n"
                        + "    - {name: writes, match: {methods: [POST, PUT, DELETE], paths: [\"/echo/rw*\"]},"
                        + " key: principal, rate: 1/h, burst: 2}\n"
                        + "    - {name: trial, match: {paths: [\"/echo/audit*\"]}, key: principal, rate: 1/h, burst: 1,"
                        + " mode: audit}\n"
                        + "  penalty: {key: principal, failures: [authz], threshold: 3, window: 1m, duration: 5m}\n");
        writePolicy(
                TestMesh.GRPC_BACKEND,
                ""
                        + "  rateLimits:\n"
                        + "    - {name: unary, match: {grpc: [\"trustline.test.v1.Echo/Unary\"]}, key: principal,"
                        + " rate: 1/h, burst: 2}\n");
        mesh = TestMesh.start(dir, "", ticker);
        outbound = WebClient.builder("http://127.0.0.1:" + mesh.frontend.outboundPort())
                .responseTimeout(Duration.ofSeconds(30))
                .build();
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", mesh.frontend.outboundPort())
                .usePlaintext()
                .overrideAuthority("grpc-backend")
                .build();
    }

    private static void writePolicy(SpiffeId sidecar, String spec) throws Exception {
        final String service = sidecar.path().substring(sidecar.path().lastIndexOf('/') + 1);
        Files.writeString(
                TestMesh.policyDir(dir, sidecar).resolve("limits.yaml"),
                "apiVersion: trustline.io/v1\nkind: Policy\nmetadata: {name: " + service + "-limits}\nspec:\n"
                        + "  service: " + service + "\n" + spec);
    }

    @AfterAll
    static void stopMesh() throws Exception {
        channel.shutdownNow();
        factories.forEach(ClientFactory::close);
        mesh.close();
    }

    private static AggregatedHttpResponse viaOutbound(HttpMethod method, String path) {
        return outbound.execute(RequestHeaders.builder(method, path)
                        .authority("backend")
                        .build())
                .aggregate()
                .join();
    }

    /** A call straight to the backend's inbound listener over mTLS, as {@code id}. */
    private static AggregatedHttpResponse direct(SpiffeId id, String path) {
        final X509Svid svid = mesh.issue(id);
        final ClientFactory factory = ClientFactory.builder().build();
        factories.add(factory);
        return WebClient.builder("https://127.0.0.1:" + mesh.backend.inboundPort())
                .factory(factory)
                .build()
                .execute(
                        HttpRequest.of(HttpMethod.GET, path),
                        RequestOptions.builder()
                                .clientTlsSpec(ClientTlsSpec.builder()
                                        .tlsKeyPair(TlsKeyPair.of(svid.privateKey(), svid.chain()))
                                        .trustedCertificates(
                                                mesh.ca.trustBundle().roots())
                                        .endpointIdentificationAlgorithm("")
                                        .build())
                                .build())
                .aggregate()
                .join();
    }

    private static String reason(AggregatedHttpResponse res) throws Exception {
        return JSON.readTree(res.contentUtf8()).get("reason").asText();
    }

    private static String metrics(Sidecar sidecar) {
        return WebClient.of("http://127.0.0.1:" + sidecar.adminPort())
                .get("/metrics")
                .aggregate()
                .join()
                .contentUtf8();
    }

    @Test
    void fivePerTenSecondsThroughTheOutboundThenEveryoneElseIsUnaffected() throws Exception {
        final long before = mesh.httpApp.requests();
        final List<Integer> codes = new ArrayList<>();
        AggregatedHttpResponse last = null;
        for (int i = 0; i < 8; i++) {
            last = viaOutbound(HttpMethod.GET, "/echo/verify");
            codes.add(last.status().code());
        }
        assertThat(codes).containsExactly(200, 200, 200, 200, 200, 429, 429, 429);
        assertThat(mesh.httpApp.requests() - before).isEqualTo(5); // refused calls never reached the app
        assertThat(reason(last)).isEqualTo("ratelimit.exceeded");
        assertThat(last.headers().get("ratelimit-limit")).isEqualTo("5");
        assertThat(last.headers().get("ratelimit-remaining")).isEqualTo("0");
        assertThat(last.headers().get("ratelimit-reset")).isEqualTo("10");
        assertThat(last.headers().get("retry-after")).isEqualTo("2");
        assertThat(last.contentUtf8()).doesNotContain("five-per-ten-seconds");

        // Another identity has its own budget; one the policy does not allow still gets its 403.
        for (int i = 0; i < 5; i++) {
            final AggregatedHttpResponse res = direct(TESTER, "/echo/verify");
            assertThat(res.status()).isEqualTo(HttpStatus.OK);
            assertThat(res.headers().get("ratelimit-remaining")).isEqualTo(Integer.toString(4 - i));
        }
        assertThat(direct(INTRUDER, "/echo/verify").status()).isEqualTo(HttpStatus.FORBIDDEN);
        // Still over the limit through the outbound, until a token comes back after two seconds.
        assertThat(viaOutbound(HttpMethod.GET, "/echo/verify").status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
        ticker.advance(Duration.ofSeconds(2));
        assertThat(viaOutbound(HttpMethod.GET, "/echo/verify").status()).isEqualTo(HttpStatus.OK);
        assertThat(metrics(mesh.backend))
                .contains("trustline_ratelimit_refusals_total{limit=\"five-per-ten-seconds\",mode=\"enforce\"} 4.0");
    }

    @Test
    void grpcCallerOverTheLimitGetsResourceExhaustedWithTheMetadata() {
        final long before = mesh.grpcApp.calls();
        final AtomicReference<Metadata> headers = new AtomicReference<>();
        final AtomicReference<Metadata> trailers = new AtomicReference<>();
        final EchoGrpc.EchoBlockingStub stub = EchoGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers));
        stub.unary(EchoRequest.newBuilder().setMessage("1").build());
        assertThat(headers.get().get(LIMIT)).isEqualTo("2");
        assertThat(headers.get().get(REMAINING)).isEqualTo("1");
        stub.unary(EchoRequest.newBuilder().setMessage("2").build());
        assertThatThrownBy(() -> EchoGrpc.newBlockingStub(channel)
                        .unary(EchoRequest.newBuilder().setMessage("3").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                    assertThat(e.getStatus().getDescription()).contains("ratelimit.exceeded");
                    assertThat(e.getTrailers().get(LIMIT)).isEqualTo("2");
                    assertThat(e.getTrailers().get(REMAINING)).isEqualTo("0");
                    assertThat(e.getTrailers().get(RETRY_AFTER)).isEqualTo("3600");
                });
        assertThat(mesh.grpcApp.calls() - before).isEqualTo(2);
        // Streaming calls are not matched by the limit.
        assertThat(EchoGrpc.newBlockingStub(channel)
                        .serverStream(EchoRequest.newBuilder().setCount(2).build()))
                .toIterable()
                .hasSize(2);
    }

    @Test
    void writesAreLimitedSeparatelyFromReads() {
        assertThat(viaOutbound(HttpMethod.POST, "/echo/rw").status()).isEqualTo(HttpStatus.OK);
        assertThat(viaOutbound(HttpMethod.DELETE, "/echo/rw").status()).isEqualTo(HttpStatus.OK);
        assertThat(viaOutbound(HttpMethod.POST, "/echo/rw").status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
        for (int i = 0; i < 4; i++) {
            assertThat(viaOutbound(HttpMethod.GET, "/echo/rw").status()).isEqualTo(HttpStatus.OK);
        }
        assertThat(viaOutbound(HttpMethod.GET, "/echo/rw").status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
        assertThat(metrics(mesh.backend))
                .contains("trustline_ratelimit_refusals_total{limit=\"writes\",mode=\"enforce\"} 1.0")
                .contains("trustline_ratelimit_refusals_total{limit=\"reads\",mode=\"enforce\"} 1.0");
    }

    @Test
    void auditModeLimitOnlyCountsAndLetsEverythingThrough() {
        final long before = mesh.httpApp.requests();
        for (int i = 0; i < 3; i++) {
            final AggregatedHttpResponse res = viaOutbound(HttpMethod.GET, "/echo/audit");
            assertThat(res.status()).isEqualTo(HttpStatus.OK);
            assertThat(res.headers().contains("ratelimit-limit")).isFalse();
        }
        assertThat(mesh.httpApp.requests() - before).isEqualTo(3);
        assertThat(metrics(mesh.backend))
                .contains("trustline_ratelimit_refusals_total{limit=\"trial\",mode=\"audit\"} 2.0");
    }

    @Test
    void repeatedForbiddenCallsPutTheCallerInThePenaltyBoxUntilItExpires() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(direct(PROBER, "/echo/probe").status()).isEqualTo(HttpStatus.FORBIDDEN);
        }
        // The third 403 is counted once its response headers are written: allow that a moment.
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() -> direct(PROBER, "/echo/probe").status() == HttpStatus.TOO_MANY_REQUESTS);
        final AggregatedHttpResponse boxed = direct(PROBER, "/echo/probe");
        assertThat(reason(boxed)).isEqualTo("ratelimit.penalty_box");
        assertThat(boxed.headers().get("retry-after")).isEqualTo("300");
        assertThat(metrics(mesh.backend)).contains("trustline_ratelimit_penalty_entered_total{mode=\"enforce\"} 1.0");
        // Other callers are untouched.
        assertThat(direct(TESTER, "/echo/probe").status()).isEqualTo(HttpStatus.OK);

        ticker.advance(Duration.ofMinutes(5));
        assertThat(direct(PROBER, "/echo/probe").status()).isEqualTo(HttpStatus.FORBIDDEN);
    }
}
