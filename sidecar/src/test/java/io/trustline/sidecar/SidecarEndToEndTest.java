package io.trustline.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.ClientTlsSpec;
import com.linecorp.armeria.client.RequestOptions;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.common.TlsKeyPair;
import com.linecorp.armeria.common.stream.StreamMessage;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.KeyType;
import io.trustline.ca.X509Svid;
import io.trustline.sidecar.identity.PeerIdentity;
import io.trustline.sidecar.testing.TestGrpcApp;
import io.trustline.sidecar.testing.TestMesh;
import io.trustline.sidecar.testing.v1.EchoGrpc;
import io.trustline.sidecar.testing.v1.EchoRequest;
import io.trustline.sidecar.testing.v1.EchoResponse;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two hops for real: app client -> frontend's outbound listener -> mTLS -> backend's inbound listener -> app, with
 * HTTP/1.1, h2c and gRPC of every call shape, and every refusal the data plane owns.
 */
class SidecarEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static TestMesh mesh;
    static ManagedChannel channel;
    static WebClient outbound;

    @BeforeAll
    static void startMesh() throws Exception {
        mesh = TestMesh.start(dir);
        outbound = WebClient.builder("http://127.0.0.1:" + mesh.frontend.outboundPort())
                .responseTimeout(Duration.ofSeconds(60))
                .maxResponseLength(0)
                .build();
        channel = grpcChannel("grpc-backend");
    }

    static ManagedChannel grpcChannel(String authority) {
        return ManagedChannelBuilder.forAddress("127.0.0.1", mesh.frontend.outboundPort())
                .usePlaintext()
                .overrideAuthority(authority)
                .build();
    }

    @AfterAll
    static void stopMesh() throws Exception {
        channel.shutdownNow();
        mesh.close();
    }

    private static AggregatedHttpResponse get(String authority, String path) {
        return outbound.execute(RequestHeaders.builder(HttpMethod.GET, path)
                        .authority(authority)
                        .build())
                .aggregate()
                .join();
    }

    private static JsonNode json(AggregatedHttpResponse res) throws Exception {
        return JSON.readTree(res.contentUtf8());
    }

    @Test
    void http1CallReachesTheAppWithTheCallersVerifiedIdentity() throws Exception {
        final AggregatedHttpResponse res = get("backend", "/echo/hello");
        assertThat(res.status()).isEqualTo(HttpStatus.OK);
        final JsonNode headers = json(res).get("headers");
        assertThat(headers.get("x-forwarded-client-cert").asText())
                .startsWith("By=" + TestMesh.BACKEND + ";Hash=")
                .endsWith(";URI=" + TestMesh.FRONTEND);
        assertThat(headers.get("x-forwarded-proto").asText()).isEqualTo("https");
        // The app sees the name its caller used (an HTTP/1.1 app as Host).
        assertThat(headers.get("host").asText()).isEqualTo("backend");
    }

    @Test
    void h2cCallFromTheAppIsProxiedToo() throws Exception {
        final WebClient h2c = WebClient.of(
                SessionProtocol.H2C,
                com.linecorp.armeria.client.Endpoint.of("127.0.0.1", mesh.frontend.outboundPort()));
        final AggregatedHttpResponse res = h2c.execute(
                        RequestHeaders.builder(HttpMethod.POST, "/echo/h2c")
                                .authority("backend")
                                .build(),
                        HttpData.ofUtf8("payload"))
                .aggregate()
                .join();
        assertThat(res.status()).isEqualTo(HttpStatus.OK);
        assertThat(json(res).get("bodyLength").asInt()).isEqualTo(7);
        assertThat(json(res).get("headers").get("x-forwarded-client-cert").asText())
                .endsWith("URI=" + TestMesh.FRONTEND);
    }

    @Test
    void forgedClientCertHeaderNeverReachesTheApp() throws Exception {
        final AggregatedHttpResponse res = outbound.execute(RequestHeaders.builder(HttpMethod.GET, "/echo/forged")
                        .authority("backend")
                        .add("x-forwarded-client-cert", "By=x;URI=spiffe://example.org/ns/shop/sa/admin")
                        .add("proxy-authorization", "Basic c2VjcmV0")
                        .build())
                .aggregate()
                .join();
        final JsonNode headers = json(res).get("headers");
        assertThat(headers.get("x-forwarded-client-cert").asText())
                .endsWith("URI=" + TestMesh.FRONTEND)
                .doesNotContain("admin");
        assertThat(headers.has("proxy-authorization")).isFalse();
    }

    @Test
    void fingerprintingHeadersAreRemovedFromResponses() {
        final AggregatedHttpResponse res = get("backend", "/fingerprinted");
        assertThat(res.status()).isEqualTo(HttpStatus.OK);
        assertThat(res.headers().contains("server")).isFalse();
        assertThat(res.headers().contains("x-powered-by")).isFalse();
        assertThat(res.contentUtf8()).isEqualTo("ok");
    }

    @Test
    void unknownDestinationIsRefusedAndNeverForwarded() throws Exception {
        final long before = mesh.httpApp.requests();
        final AggregatedHttpResponse res = get("payments", "/echo/x");
        assertThat(res.status()).isEqualTo(HttpStatus.NOT_FOUND);
        final JsonNode body = json(res);
        assertThat(body.get("reason").asText()).isEqualTo("route.unknown");
        assertThat(body.get("request_id").asText()).isNotBlank();
        assertThat(body.get("error").asText()).isEqualTo("unknown destination");
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
    }

    @Test
    void aPortInHostIsIgnoredByARouteWithoutServicePort() throws Exception {
        final AggregatedHttpResponse res = get("backend:8080", "/echo/any-port");

        assertThat(res.status()).isEqualTo(HttpStatus.OK);
        assertThat(json(res).get("headers").get("host").asText()).isEqualTo("backend:8080");
    }

    @Test
    void captureStyleHostWithTheRoutesServicePortOrNoPortReachesIt() throws Exception {
        assertThat(get("backend-on-8080:8080", "/echo/service-port").status()).isEqualTo(HttpStatus.OK);
        assertThat(get("BACKEND-ON-8080", "/echo/no-port").status()).isEqualTo(HttpStatus.OK);
    }

    @Test
    void hostWithAnotherPortThanTheRoutesServicePortIsNoRoute() throws Exception {
        final long before = mesh.httpApp.requests();
        for (String authority : List.of("backend-on-8080:9090", "backend-on-8080:80", "backend-on-8080:x")) {
            final AggregatedHttpResponse res = get(authority, "/echo/other-port");

            assertThat(res.status()).as(authority).isEqualTo(HttpStatus.NOT_FOUND);
            assertThat(json(res).get("reason").asText()).as(authority).isEqualTo("route.unknown");
        }
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
    }

    @Test
    void unknownDestinationIsUnavailableForGrpcCallers() {
        final ManagedChannel ch = grpcChannel("payments");
        try {
            assertThatThrownBy(() -> EchoGrpc.newBlockingStub(ch)
                            .unary(EchoRequest.newBuilder().build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                        assertThat(e.getStatus().getDescription()).contains("route.unknown");
                    });
        } finally {
            ch.shutdownNow();
        }
    }

    @Test
    void absoluteFormProxyRequestsUseTheRouteTable() throws Exception {
        // What an app configured with http_proxy=127.0.0.1:15001 sends.
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", mesh.frontend.outboundPort())) {
            s.getOutputStream()
                    .write(("GET http://backend/echo/proxied HTTP/1.1\r\nHost: backend\r\n"
                                    + "Connection: close\r\n\r\n")
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            final String response =
                    new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(response).startsWith("HTTP/1.1 200").contains("\"path\":\"/echo/proxied\"");
        }
    }

    @Test
    void deniedCallIs403WithReasonAndRequestIdAndNeverReachesTheApp() throws Exception {
        final long before = mesh.httpApp.requests();
        final AggregatedHttpResponse res = get("backend", "/echo/admin/users");
        assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);
        final JsonNode body = json(res);
        assertThat(body.get("reason").asText()).isEqualTo("authz.denied_by_rule");
        assertThat(body.get("request_id").asText()).isNotBlank();
        assertThat(body.get("error").asText()).isEqualTo("forbidden");
        // Which rule decided is for the operator's log, never for the caller.
        assertThat(res.contentUtf8()).doesNotContain("no-admin").doesNotContain("frontend");
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
    }

    @Test
    void dotSegmentsCannotSlipPastADenyRule() throws Exception {
        final long before = mesh.httpApp.requests();
        for (String path : List.of(
                "/echo/public/../admin/users",
                "/echo/%2e%2e/echo/admin/x",
                "//echo/admin/x",
                "/echo/./admin/x",
                "/echo/admin%2Fx")) {
            final AggregatedHttpResponse res = get("backend", path);
            assertThat(res.status().code()).as(path).isIn(400, 403);
        }
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
    }

    @Test
    void theAppReceivesTheNormalisedPath() throws Exception {
        final AggregatedHttpResponse res = get("backend", "/echo//a/./b/%7Euser?q=%2F..");
        assertThat(res.status()).isEqualTo(HttpStatus.OK);
        assertThat(json(res).get("path").asText()).isEqualTo("/echo/a/b/~user?q=%2F..");
    }

    @Test
    void deniedGrpcCallIsPermissionDeniedTrailersOnly() {
        final io.grpc.Metadata deny = new io.grpc.Metadata();
        deny.put(io.grpc.Metadata.Key.of("x-deny", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "yes");
        final long before = mesh.grpcApp.calls();
        assertThatThrownBy(() -> EchoGrpc.newBlockingStub(channel)
                        .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(deny))
                        .unary(EchoRequest.newBuilder().setMessage("x").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.getStatus().getDescription()).contains("authz.denied_by_rule");
                    assertThat(e.getTrailers()
                                    .get(io.grpc.Metadata.Key.of(
                                            "x-trustline-reason", io.grpc.Metadata.ASCII_STRING_MARSHALLER)))
                            .isEqualTo("authz.denied_by_rule");
                });
        assertThat(mesh.grpcApp.calls()).isEqualTo(before);
    }

    @Test
    void grpcUnaryCarriesTheCallerIdentity() {
        final EchoResponse res = EchoGrpc.newBlockingStub(channel)
                .unary(EchoRequest.newBuilder().setMessage("hi").build());
        assertThat(res.getMessage()).isEqualTo("hi");
        assertThat(res.getPeerIdentity()).endsWith("URI=" + TestMesh.FRONTEND);
    }

    @Test
    void grpcErrorStatusAndTrailersPassThroughBothSidecars() {
        assertThatThrownBy(() -> EchoGrpc.newBlockingStub(channel)
                        .unary(EchoRequest.newBuilder()
                                .setFailWithCode(Status.Code.FAILED_PRECONDITION.value())
                                .build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(e.getStatus().getDescription()).isEqualTo("app failure");
                    assertThat(e.getTrailers().get(TestGrpcApp.DETAIL)).isEqualTo("failed on purpose");
                });
    }

    @Test
    void grpcUnavailableBeforeAnyMessageIsRetriedOnceAndOtherStatusesAreNot() {
        // The route lists grpcStatuses [UNAVAILABLE] (TestMesh): a call whose peer answers trailers-only UNAVAILABLE
        // is sent again.
        final long before = mesh.grpcApp.calls();
        assertThatThrownBy(() -> EchoGrpc.newBlockingStub(channel)
                        .unary(EchoRequest.newBuilder()
                                .setFailWithCode(Status.Code.UNAVAILABLE.value())
                                .build()))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        assertThat(mesh.grpcApp.calls()).isEqualTo(before + 2);

        assertThatThrownBy(() -> EchoGrpc.newBlockingStub(channel)
                        .unary(EchoRequest.newBuilder()
                                .setFailWithCode(Status.Code.ABORTED.value())
                                .build()))
                .isInstanceOf(StatusRuntimeException.class);
        assertThat(mesh.grpcApp.calls()).isEqualTo(before + 3);
    }

    @Test
    void grpcServerStreaming() {
        final Iterator<EchoResponse> it = EchoGrpc.newBlockingStub(channel)
                .serverStream(
                        EchoRequest.newBuilder().setMessage("s").setCount(5).build());
        final List<Integer> indexes = new ArrayList<>();
        it.forEachRemaining(r -> indexes.add(r.getIndex()));
        assertThat(indexes).containsExactly(0, 1, 2, 3, 4);
    }

    @Test
    void grpcClientStreaming() throws Exception {
        final CompletableFuture<EchoResponse> result = new CompletableFuture<>();
        final StreamObserver<EchoRequest> requests = EchoGrpc.newStub(channel).clientStream(observer(result));
        for (String part : List.of("a", "b", "c")) {
            requests.onNext(EchoRequest.newBuilder().setMessage(part).build());
        }
        requests.onCompleted();
        final EchoResponse res = result.get(10, TimeUnit.SECONDS);
        assertThat(res.getMessage()).isEqualTo("abc");
        assertThat(res.getIndex()).isEqualTo(3);
    }

    @Test
    void grpcBidiStreamingIsFullDuplex() throws Exception {
        final List<EchoResponse> received = new ArrayList<>();
        final CountDownLatch first = new CountDownLatch(1);
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final StreamObserver<EchoRequest> requests = EchoGrpc.newStub(channel).bidi(new StreamObserver<>() {
            @Override
            public void onNext(EchoResponse value) {
                synchronized (received) {
                    received.add(value);
                }
                first.countDown();
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                done.complete(null);
            }
        });
        requests.onNext(EchoRequest.newBuilder().setMessage("ping").build());
        // The reply arrives while our side of the stream is still open: full duplex through both hops.
        assertThat(first.await(10, TimeUnit.SECONDS)).isTrue();
        requests.onNext(EchoRequest.newBuilder().setMessage("pong").build());
        requests.onCompleted();
        done.get(10, TimeUnit.SECONDS);
        assertThat(received).extracting(EchoResponse::getMessage).containsExactly("ping", "pong");
    }

    @Test
    void grpcDeadlineIsHonoured() {
        final long start = System.nanoTime();
        assertThatThrownBy(() -> EchoGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(300, TimeUnit.MILLISECONDS)
                        .unary(EchoRequest.newBuilder().setDelayMillis(5_000).build()))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
    }

    @Test
    void fiftyMebibytesUploadAndDownloadStreamThrough() {
        final long size = 50L * 1024 * 1024;
        final AggregatedHttpResponse down = get("backend", "/download?bytes=" + size);
        assertThat(down.status()).isEqualTo(HttpStatus.OK);
        assertThat(down.content().length()).isEqualTo(size);

        final int chunk = 64 * 1024;
        final AggregatedHttpResponse up = outbound.execute(HttpRequest.of(
                        RequestHeaders.builder(HttpMethod.POST, "/upload")
                                .authority("backend")
                                .build(),
                        streamOf(size, chunk)))
                .aggregate()
                .join();
        assertThat(up.status()).isEqualTo(HttpStatus.OK);
        assertThat(up.contentUtf8()).isEqualTo(Long.toString(size));
    }

    private static StreamMessage<HttpData> streamOf(long size, int chunk) {
        final HttpData[] parts = new HttpData[(int) (size / chunk)];
        final byte[] zeros = new byte[chunk];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = HttpData.wrap(zeros);
        }
        return StreamMessage.of(parts);
    }

    @Test
    void thirtySecondStreamIsNotCutByAnyDefaultTimeout() {
        final Iterator<EchoResponse> it = EchoGrpc.newBlockingStub(channel)
                .serverStream(EchoRequest.newBuilder()
                        .setCount(32)
                        .setDelayMillis(1_000)
                        .build());
        final long start = System.nanoTime();
        int n = 0;
        while (it.hasNext()) {
            it.next();
            n++;
        }
        assertThat(n).isEqualTo(32);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofSeconds(30));
    }

    @Test
    void unreachableAppIsAQuick503() throws Exception {
        final AggregatedHttpResponse res = get("nobody-home", "/echo/x");
        assertThat(res.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(json(res).get("reason").asText()).isEqualTo("upstream.connect_failed");
    }

    @Test
    void serverWithTheWrongIdentityIsRefusedByTheOutboundCheck() throws Exception {
        final long before = mesh.httpApp.requests();
        final AggregatedHttpResponse res = get("impostor", "/echo/x");
        assertThat(res.status()).isEqualTo(HttpStatus.BAD_GATEWAY);
        assertThat(json(res).get("reason").asText()).isEqualTo("upstream.identity_mismatch");
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
    }

    // Direct connections to an inbound listener, bypassing the frontend sidecar.

    private static AggregatedHttpResponse directToBackend(ClientTlsSpec spec) {
        try (ClientFactory factory = ClientFactory.builder().build()) {
            return WebClient.builder("https://127.0.0.1:" + mesh.backend.inboundPort())
                    .factory(factory)
                    .build()
                    .execute(
                            HttpRequest.of(HttpMethod.GET, "/echo/direct"),
                            RequestOptions.builder().clientTlsSpec(spec).build())
                    .aggregate()
                    .join();
        }
    }

    @Test
    void directClientWithAValidSvidIsAccepted() {
        final X509Svid svid = mesh.issue(TestMesh.FRONTEND);
        final AggregatedHttpResponse res = directToBackend(tlsSpec(svid, mesh.ca));
        assertThat(res.status()).isEqualTo(HttpStatus.OK);
    }

    @Test
    void clientWithoutCertificateIsRefusedAtTheHandshake() {
        final long before = mesh.httpApp.requests();
        assertThatThrownBy(() -> directToBackend(ClientTlsSpec.builder()
                        .trustedCertificates(mesh.ca.trustBundle().roots())
                        .endpointIdentificationAlgorithm("")
                        .build()))
                .hasRootCauseInstanceOf(javax.net.ssl.SSLException.class);
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
    }

    @Test
    void clientWithCertificateFromAnotherCaIsRefused() {
        final CertificateAuthority rogue =
                CertificateAuthority.createRoot(TestMesh.TRUST_DOMAIN, KeyType.EC_P256, Clock.systemUTC());
        final X509Svid svid = rogue.issueOffline(TestMesh.FRONTEND, Duration.ofHours(1));
        assertThatThrownBy(() -> directToBackend(tlsSpec(svid, mesh.ca)))
                .hasRootCauseInstanceOf(javax.net.ssl.SSLException.class);
    }

    @Test
    void clientWithExpiredCertificateIsRefused() {
        final Clock twoHoursAgo = Clock.fixed(Instant.now().minus(Duration.ofHours(2)), ZoneOffset.UTC);
        final X509Svid expired = mesh.ca.withClock(twoHoursAgo).issueOffline(TestMesh.FRONTEND, Duration.ofHours(1));
        assertThat(expired.notAfter()).isBefore(Instant.now());
        assertThatThrownBy(() -> directToBackend(tlsSpec(expired, mesh.ca)))
                .hasRootCauseInstanceOf(javax.net.ssl.SSLException.class);
    }

    private static ClientTlsSpec tlsSpec(X509Svid svid, CertificateAuthority trusted) {
        return ClientTlsSpec.builder()
                .tlsKeyPair(TlsKeyPair.of(svid.privateKey(), svid.chain()))
                .trustedCertificates(trusted.trustBundle().roots())
                .endpointIdentificationAlgorithm("")
                .build();
    }

    @Test
    void strictInboundRefusesPlaintext() {
        assertThatThrownBy(() -> WebClient.of("http://127.0.0.1:" + mesh.backend.inboundPort())
                        .get("/echo/plain")
                        .aggregate()
                        .join())
                .hasCauseInstanceOf(Exception.class);
    }

    // Rotation

    @Test
    void rotationDuringALongStreamDoesNotBreakItAndNewConnectionsUseTheNewCertificate() throws Exception {
        final Iterator<EchoResponse> stream = EchoGrpc.newBlockingStub(channel)
                .serverStream(
                        EchoRequest.newBuilder().setCount(8).setDelayMillis(250).build());
        final EchoResponse firstMessage = stream.next();
        final String oldXfcc = firstMessage.getPeerIdentity();

        final X509Svid newFrontend = mesh.issue(TestMesh.FRONTEND);
        final X509Svid newGrpcBackend = mesh.issue(TestMesh.GRPC_BACKEND);
        mesh.frontendIdentity.rotate(newFrontend);
        mesh.grpcBackendIdentity.rotate(newGrpcBackend);

        int n = 1;
        while (stream.hasNext()) {
            stream.next();
            n++;
        }
        assertThat(n).isEqualTo(8);

        // A new call goes over a new connection, opened with the frontend's new certificate.
        final EchoResponse after = EchoGrpc.newBlockingStub(channel)
                .unary(EchoRequest.newBuilder().setMessage("after").build());
        final String newHash = PeerIdentity.of(TestMesh.FRONTEND, newFrontend.leaf(), TestMesh.GRPC_BACKEND)
                .certSha256();
        assertThat(after.getPeerIdentity()).contains("Hash=" + newHash).isNotEqualTo(oldXfcc);

        // The inbound listener presents its new certificate on new connections.
        assertThat(serverCertificateOf(mesh.grpcBackend.inboundPort(), newFrontend))
                .isEqualTo(newGrpcBackend.leaf());
    }

    private static X509Certificate serverCertificateOf(int port, X509Svid client) throws Exception {
        final java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("k", client.privateKey(), new char[0], client.chain().toArray(new X509Certificate[0]));
        final javax.net.ssl.KeyManagerFactory kmf =
                javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        final X509Certificate[][] seen = new X509Certificate[1][];
        final TrustManager recorder = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                seen[0] = chain;
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        final SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), new TrustManager[] {recorder}, null);
        try (SSLSocket socket = (SSLSocket) ssl.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.startHandshake();
        }
        return seen[0][0];
    }

    private static <T> StreamObserver<T> observer(CompletableFuture<T> result) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                result.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {}
        };
    }
}
