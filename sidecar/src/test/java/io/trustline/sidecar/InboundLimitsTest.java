package io.trustline.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import io.trustline.sidecar.testing.TestMesh;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A backend with a body limit in permissive mode: oversized bodies get 413, plaintext is accepted but peerless. */
class InboundLimitsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static TestMesh mesh;
    static WebClient outbound;

    @BeforeAll
    static void startMesh() throws Exception {
        mesh = TestMesh.start(dir, "  mtls: permissive\n  limits: {maxRequestBodyBytes: 1024}\n");
        outbound = WebClient.of("http://127.0.0.1:" + mesh.frontend.outboundPort());
    }

    @AfterAll
    static void stopMesh() throws Exception {
        mesh.close();
    }

    @Test
    void bodyOverTheLimitIs413WithTheJsonBodyAndNeverReachesTheApp() throws Exception {
        final long before = mesh.httpApp.requests();
        final AggregatedHttpResponse res = outbound.execute(
                        RequestHeaders.builder(HttpMethod.POST, "/echo/big")
                                .authority("backend")
                                .build(),
                        HttpData.wrap(new byte[4096]))
                .aggregate()
                .join();
        assertThat(res.status()).isEqualTo(HttpStatus.REQUEST_ENTITY_TOO_LARGE);
        assertThat(JSON.readTree(res.contentUtf8()).get("reason").asText()).isEqualTo("request.body_too_large");
        assertThat(res.contentUtf8()).doesNotContain("Exception").doesNotContain("at ");
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
    }

    @Test
    void bodyUnderTheLimitPasses() {
        final AggregatedHttpResponse res = outbound.execute(
                        RequestHeaders.builder(HttpMethod.POST, "/echo/small")
                                .authority("backend")
                                .build(),
                        HttpData.wrap(new byte[512]))
                .aggregate()
                .join();
        assertThat(res.status()).isEqualTo(HttpStatus.OK);
    }

    @Test
    void permissiveModePlaintextWithoutAPeerIsStillSubjectToPolicy() throws Exception {
        final long before = mesh.httpApp.requests();
        final AggregatedHttpResponse res = WebClient.of("http://127.0.0.1:" + mesh.backend.inboundPort())
                .get("/echo/plain")
                .aggregate()
                .join();
        // The only rule for /echo/plain demands the frontend's identity, which a plaintext caller cannot prove.
        assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);
        assertThat(JSON.readTree(res.contentUtf8()).get("reason").asText()).isEqualTo("authz.no_allow_match");
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
    }

    @Test
    void permissiveModeAcceptsPlaintextWithoutAPeerIdentity() throws Exception {
        final AggregatedHttpResponse res = WebClient.of("http://127.0.0.1:" + mesh.backend.inboundPort())
                .execute(RequestHeaders.builder(HttpMethod.GET, "/echo/public")
                        .add("x-forwarded-client-cert", "By=x;URI=spiffe://example.org/ns/shop/sa/admin")
                        .build())
                .aggregate()
                .join();
        assertThat(res.status()).isEqualTo(HttpStatus.OK);
        final var headers = JSON.readTree(res.contentUtf8()).get("headers");
        // No verified peer: the app gets no XFCC at all, and never the forged one.
        assertThat(headers.has("x-forwarded-client-cert")).isFalse();
        assertThat(headers.get("x-forwarded-proto").asText()).isEqualTo("http");
        // Plaintext in permissive mode is counted, for the operator watching a migration.
        final String metrics = WebClient.of("http://127.0.0.1:" + mesh.backend.adminPort())
                .get("/metrics")
                .aggregate()
                .join()
                .contentUtf8();
        assertThat(metrics).containsPattern("(?m)^trustline_inbound_plaintext_requests_total [1-9]");
    }

    @Test
    void permissiveModePlaintextGets501ForATransferCodingOtherThanChunked() throws Exception {
        // Plaintext on a listener that also speaks TLS: Armeria detects the protocol first, then adds the codec.
        final long before = mesh.httpApp.requests();
        try (Socket s = new Socket("127.0.0.1", mesh.backend.inboundPort())) {
            s.setSoTimeout(30_000);
            s.getOutputStream()
                    .write(("POST /echo/public HTTP/1.1\r\nHost: backend\r\nTransfer-Encoding: gzip, chunked\r\n"
                                    + "Connection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            final String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(response).startsWith("HTTP/1.1 501 ").contains("request.unsupported_transfer_coding");
        }
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
    }

    @Test
    void permissiveModeStillVerifiesTlsClients() {
        final AggregatedHttpResponse res = WebClient.of("http://127.0.0.1:" + mesh.frontend.outboundPort())
                .execute(RequestHeaders.builder(HttpMethod.GET, "/echo/tls")
                        .authority("backend")
                        .build())
                .aggregate()
                .join();
        assertThat(res.contentUtf8()).contains("URI=" + TestMesh.FRONTEND);
    }
}
