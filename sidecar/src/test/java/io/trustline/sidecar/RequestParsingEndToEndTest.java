package io.trustline.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.SessionProtocol;
import io.trustline.sidecar.testing.RawHttp;
import io.trustline.sidecar.testing.TestMesh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The request-parsing findings of the outside review, replayed byte for byte against a real mesh: raw HTTP/1.1 over
 * an mTLS socket (with the frontend's SVID) straight to the backend's inbound listener, or over a plain socket to the
 * frontend's outbound listener, because HTTP clients normalise these requests away before they are sent. The app
 * behind the backend echoes what it received, so each test sees what the app would have served.
 */
class RequestParsingEndToEndTest {

    @TempDir
    static Path dir;

    static TestMesh mesh;
    static SSLContext frontendTls;

    @BeforeAll
    static void startMesh() throws Exception {
        // An exact DENY rule, the shape the review attacked with /api/secret%3bx.
        Files.writeString(
                TestMesh.policyDir(dir, TestMesh.BACKEND).resolve("secret.yaml"),
                "apiVersion: trustline.io/v1\n"
                        + "kind: Policy\n"
                        + "metadata: {name: secret}\n"
                        + "spec:\n"
                        + "  service: backend\n"
                        + "  rules:\n"
                        + "    - name: no-secret\n"
                        + "      action: deny\n"
                        + "      to: {paths: [\"/echo/secret\"]}\n");
        mesh = TestMesh.start(dir);
        frontendTls = RawHttp.sslContext(mesh.issue(TestMesh.FRONTEND), mesh.ca.trustBundle());
    }

    @AfterAll
    static void stopMesh() throws Exception {
        mesh.close();
    }

    // One path

    @ParameterizedTest(name = "{0}")
    @ValueSource(
            strings = {
                "/echo/secret%3bx",
                "/echo/secret%3Bx",
                "/echo/secret;x",
                "/echo/secret;jsessionid=1",
                "/echo%3b/admin/users",
                "/echo;/admin/users",
                "/echo/x/..;/secret",
                "/echo/secret%2Fx",
                "/echo%2Fsecret",
                "/echo%5Csecret",
                "/echo/secret%00",
                "/echo/secre%2574",
                "/echo/secret%253Bx",
                "/echo/secret%25",
                "/echo/x%C0%AF..%C0%AFsecret",
                "/echo/x%E0%80%AF..%E0%80%AFsecret",
                "/echo/x%C0%AFsecret"
            })
    void hostileSpellingsOfADeniedPathNeverReachTheApp(String target) throws Exception {
        final long before = mesh.httpApp.requests();
        final String response = inbound("GET " + target + " HTTP/1.1\r\nHost: backend\r\nConnection: close\r\n\r\n");
        assertThat(status(response)).as(target).isIn(400, 403);
        assertThat(mesh.httpApp.requests()).as(target).isEqualTo(before);
    }

    @Test
    void reservedCharactersStayEncodedAndTheQueryPassesByteForByte() throws Exception {
        final String response = inbound("GET /echo/a%40b%3dc%26d%2Ce%3Af%2Bg%7Eh?q=a%20b+c&x=%2F&y=%3b HTTP/1.1\r\n"
                + "Host: backend\r\nConnection: close\r\n\r\n");
        assertThat(status(response)).as(response).isEqualTo(200);
        assertThat(body(response).get("rawPath").asText())
                .isEqualTo("/echo/a%40b%3Dc%26d%2Ce%3Af%2Bg~h?q=a%20b+c&x=%2F&y=%3b");
    }

    @Test
    void theAppReceivesTheRawPathOverBothHopsToo() throws Exception {
        final String response =
                outbound("GET /echo/a%2Bb%3Dc?q=a%20b+c HTTP/1.1\r\nHost: backend\r\n" + "Connection: close\r\n\r\n");
        assertThat(status(response)).as(response).isEqualTo(200);
        assertThat(body(response).get("rawPath").asText()).isEqualTo("/echo/a%2Bb%3Dc?q=a%20b+c");
    }

    // One Host

    @Test
    void twoHostHeadersAreRefusedOnTheInboundListener() throws Exception {
        final long before = mesh.httpApp.requests();
        final String response =
                inbound("GET /echo/x HTTP/1.1\r\nHost: backend\r\nHost: evil\r\nConnection: close\r\n\r\n");
        assertThat(status(response)).isEqualTo(400);
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
    }

    @Test
    void twoHostHeadersAreRefusedOnTheOutboundListener() throws Exception {
        final long before = mesh.httpApp.requests();
        final String response =
                outbound("GET /echo/x HTTP/1.1\r\nHost: backend\r\nHost: evil\r\nConnection: close\r\n\r\n");
        assertThat(status(response)).isEqualTo(400);
        assertThat(response).contains("request.invalid_host");
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
    }

    @Test
    void anHttp11RequestWithoutHostIsRefusedOnBothListeners() throws Exception {
        final long before = mesh.httpApp.requests();
        assertThat(status(outbound("GET /echo/x HTTP/1.1\r\nConnection: close\r\n\r\n")))
                .isEqualTo(400);
        assertThat(status(inbound("GET /echo/x HTTP/1.1\r\nConnection: close\r\n\r\n")))
                .isEqualTo(400);
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
    }

    @Test
    void anHttp2HostThatDiffersFromTheAuthorityIsRefused() {
        final long before = mesh.httpApp.requests();
        final WebClient h2c = WebClient.of(
                SessionProtocol.H2C,
                com.linecorp.armeria.client.Endpoint.of("127.0.0.1", mesh.frontend.outboundPort()));
        final AggregatedHttpResponse res = h2c.execute(RequestHeaders.builder(HttpMethod.GET, "/echo/x")
                        .authority("backend")
                        .add("host", "evil")
                        .build())
                .aggregate()
                .join();
        assertThat(res.status().code()).isEqualTo(400);
        assertThat(res.contentUtf8()).contains("request.invalid_host");
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
    }

    @Test
    void anAbsoluteFormTargetRoutesOnItsAuthorityAndTheAppSeesThatHost() throws Exception {
        final String response = outbound(
                "GET http://backend/echo/absolute HTTP/1.1\r\nHost: grpc-backend\r\nConnection: close\r\n\r\n");
        assertThat(status(response)).as(response).isEqualTo(200);
        final JsonNode body = body(response);
        assertThat(body.get("rawPath").asText()).isEqualTo("/echo/absolute");
        assertThat(body.get("headers").get("host").asText()).isEqualTo("backend");
    }

    // Hostile headers

    @Test
    void underscoreTwinsOfHeadersAreDroppedByDefault() throws Exception {
        final String response = inbound("GET /echo/x HTTP/1.1\r\nHost: backend\r\nx_user_id: admin\r\n"
                + "x-ok: 1\r\nConnection: close\r\n\r\n");
        assertThat(status(response)).as(response).isEqualTo(200);
        final JsonNode headers = body(response).get("headers");
        assertThat(headers.has("x_user_id")).isFalse();
        assertThat(headers.get("x-ok").asText()).isEqualTo("1");
    }

    @Test
    void identityLookingHeadersFromTheCallerNeverReachTheApp() throws Exception {
        final String response = inbound("GET /echo/x HTTP/1.1\r\nHost: backend\r\n"
                + "X-Spiffe-Id: spiffe://example.org/ns/shop/sa/admin\r\n"
                + "X-Forwarded-User: admin\r\nX-Remote-User: admin\r\nX-Authenticated-Identity: admin\r\n"
                + "X-Jwt-Payload: e30\r\nX-Peer-Identity: admin\r\nX-Client-Spiffe-Id: admin\r\n"
                + "Connection: close\r\n\r\n");
        assertThat(status(response)).as(response).isEqualTo(200);
        final JsonNode headers = body(response).get("headers");
        for (String name : List.of(
                "x-spiffe-id",
                "x-forwarded-user",
                "x-remote-user",
                "x-authenticated-identity",
                "x-jwt-payload",
                "x-peer-identity",
                "x-client-spiffe-id")) {
            assertThat(headers.has(name)).as(name).isFalse();
        }
    }

    @Test
    void forwardedAndXRealIpAreReplacedWithWhatTheSidecarSaw() throws Exception {
        final String response = inbound("GET /echo/x HTTP/1.1\r\nHost: backend\r\n"
                + "Forwarded: for=10.9.9.9;by=evil\r\nX-Real-IP: 10.9.9.9\r\nConnection: close\r\n\r\n");
        assertThat(status(response)).as(response).isEqualTo(200);
        final JsonNode headers = body(response).get("headers");
        assertThat(headers.has("forwarded")).isFalse();
        assertThat(headers.get("x-real-ip").asText()).isEqualTo("127.0.0.1");
    }

    // Transfer codings

    @ParameterizedTest(name = "{0}")
    @ValueSource(
            strings = {
                "gzip",
                "gzip, chunked",
                "identity",
                "chunked, chunked",
                "chunked\r\nTransfer-Encoding: gzip",
                "x-custom, chunked",
                ","
            })
    void aTransferCodingOtherThanChunkedIs501OnBothListenersAndNeverReachesTheApp(String codings) throws Exception {
        final String body = codings.contains("chunked") ? "5\r\nhello\r\n0\r\n\r\n" : "hello";
        final String request = "POST /echo/x HTTP/1.1\r\nHost: backend\r\nTransfer-Encoding: " + codings
                + "\r\nConnection: close\r\n\r\n" + body;
        final long before = mesh.httpApp.requests();
        for (String response : List.of(inbound(request), outbound(request))) {
            assertThat(status(response)).as(response).isEqualTo(501);
            assertThat(body(response).get("reason").asText()).isEqualTo("request.unsupported_transfer_coding");
        }
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chunked", "Chunked", " chunked "})
    void aChunkedBodyStillPassesOnBothListeners(String codings) throws Exception {
        final String request = "POST /echo/x HTTP/1.1\r\nHost: backend\r\nTransfer-Encoding: " + codings
                + "\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
        for (String response : List.of(inbound(request), outbound(request))) {
            assertThat(status(response)).as(response).isEqualTo(200);
            assertThat(body(response).get("bodyLength").asInt()).isEqualTo(5);
        }
    }

    @Test
    void theCheckHoldsForEveryRequestOnAKeptAliveConnection() throws Exception {
        final String ok = "GET /echo/x HTTP/1.1\r\nHost: backend\r\n\r\n";
        final String bad = "POST /echo/x HTTP/1.1\r\nHost: backend\r\nTransfer-Encoding: gzip, chunked\r\n"
                + "Connection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
        final String response = outbound(ok + bad);
        assertThat(response).startsWith("HTTP/1.1 200 ").contains("HTTP/1.1 501 ");
    }

    private static String inbound(String request) throws Exception {
        return RawHttp.overTls(frontendTls, mesh.backend.inboundPort(), request);
    }

    private static String outbound(String request) throws Exception {
        return RawHttp.plain(mesh.frontend.outboundPort(), request);
    }

    private static int status(String response) {
        return RawHttp.status(response);
    }

    private static JsonNode body(String response) throws Exception {
        return RawHttp.jsonBody(response);
    }
}
