package io.trustline.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.sidecar.testing.RawHttp;
import io.trustline.sidecar.testing.TestMesh;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code inbound.hygiene.pathParameters: strip} through a real mesh: a {@code ;...} is cut from every segment before
 * the policy matches, and the app receives exactly the path that was judged, on the inbound hop and over both hops.
 * (The default, {@code reject}, is pinned by {@link RequestParsingEndToEndTest}.)
 */
class PathParametersStripEndToEndTest {

    @TempDir
    static Path dir;

    static TestMesh mesh;
    static SSLContext frontendTls;

    @BeforeAll
    static void startMesh() throws Exception {
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
        mesh = TestMesh.start(dir, "  hygiene: {pathParameters: strip}\n");
        frontendTls = RawHttp.sslContext(mesh.issue(TestMesh.FRONTEND), mesh.ca.trustBundle());
    }

    @AfterAll
    static void stopMesh() throws Exception {
        mesh.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "/echo/secret;x",
        "/echo/secret;jsessionid=1",
        "/echo;a/secret;b",
        "/echo/./secret;x",
    })
    void strippedSpellingsOfADeniedPathAreDeniedAndNeverReachTheApp(String target) throws Exception {
        final long before = mesh.httpApp.requests();
        final String response = inbound("GET " + target + " HTTP/1.1\r\nHost: backend\r\nConnection: close\r\n\r\n");
        assertThat(RawHttp.status(response)).as(response).isEqualTo(403);
        assertThat(response).contains("authz.denied_by_rule");
        assertThat(mesh.httpApp.requests()).as(target).isEqualTo(before);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "/echo/page;jsessionid=1, /echo/page",
        "/echo;v=1/a;b/c, /echo/a/c",
        "/echo/./a;x//b, /echo/a/b",
        "/echo/a%3Db;x?q=1;2, /echo/a%3Db?q=1;2",
    })
    void theAppReceivesThePathWithoutParametersAndTheQueryUntouched(String target, String served) throws Exception {
        final String response = inbound("GET " + target + " HTTP/1.1\r\nHost: backend\r\nConnection: close\r\n\r\n");
        assertThat(RawHttp.status(response)).as(response).isEqualTo(200);
        assertThat(RawHttp.jsonBody(response).get("rawPath").asText()).isEqualTo(served);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"/echo/x/..;/secret", "/echo/a;x/../b", "/echo/x/%2e%2E;/secret", "/echo/a;x/%2E%2e/b"})
    void aDotDotSegmentIsRefusedByArmeriaBeforeThePipeline(String target) throws Exception {
        final long before = mesh.httpApp.requests();
        final String response = inbound("GET " + target + " HTTP/1.1\r\nHost: backend\r\nConnection: close\r\n\r\n");
        assertThat(RawHttp.status(response)).as(response).isEqualTo(400);
        assertThat(response).contains("request.malformed");
        assertThat(mesh.httpApp.requests()).as(target).isEqualTo(before);
    }

    @Test
    void anEncodedSemicolonIsStillRefused() throws Exception {
        final String response = inbound("GET /echo/secret%3Bx HTTP/1.1\r\nHost: backend\r\nConnection: close\r\n\r\n");
        assertThat(RawHttp.status(response)).as(response).isEqualTo(400);
        assertThat(response).contains("request.invalid_path");
    }

    @Test
    void overBothHopsTheAppSeesTheStrippedPath() throws Exception {
        // The frontend's own inbound keeps the default (reject), but its outbound listener forwards the app's
        // path as sent; the backend's inbound strips it, and that is what the backend's app serves.
        final String response = RawHttp.plain(
                mesh.frontend.outboundPort(),
                "GET /echo/page;jsessionid=1 HTTP/1.1\r\nHost: backend\r\nConnection: close\r\n\r\n");
        assertThat(RawHttp.status(response)).as(response).isEqualTo(200);
        assertThat(RawHttp.jsonBody(response).get("rawPath").asText()).isEqualTo("/echo/page");
    }

    private static String inbound(String request) throws Exception {
        return RawHttp.overTls(frontendTls, mesh.backend.inboundPort(), request);
    }
}
