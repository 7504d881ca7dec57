package io.trustline.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.KeyType;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.server.CaServer;
import io.trustline.ca.store.JoinTokenStore;
import io.trustline.sidecar.config.ConfigLoader;
import io.trustline.sidecar.config.SidecarConfig;
import io.trustline.sidecar.identity.Identities;
import io.trustline.sidecar.identity.StaticWorkloadIdentity;
import io.trustline.sidecar.testing.TestHttpApp;
import io.trustline.sidecar.testing.TestMesh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sidecar whose certificate expired while the CA was down re-enrols, without a restart, once a fresh single-use
 * join token is written to its token file and the CA is back: through a real CA gRPC server, a real sidecar that got
 * its one-minute SVID (the shortest the config allows) from it, and real mTLS calls from a second sidecar. The clock is
 * the real one, because the JDK's PKIX check in every TLS handshake uses it too; the test polls until the certificate
 * has expired (about a minute).
 */
class ReEnrolmentAfterExpiryTest {

    private static final SpiffeId FRONTEND = SpiffeId.of("example.org", "shop", "frontend");
    private static final SpiffeId BACKEND = SpiffeId.of("example.org", "shop", "backend");
    /** Made per run; never a real secret. */
    private static final String ADMIN_TOKEN = "admin-" + UUID.randomUUID();

    @TempDir
    Path dir;

    Clock clock;
    CertificateAuthority ca;
    JoinTokenStore tokens;
    CaServer caServer;
    TestHttpApp app;

    @BeforeEach
    void startCa() throws Exception {
        clock = Clock.systemUTC();
        ca = CertificateAuthority.createRoot("example.org", KeyType.EC_P256, clock);
        tokens = JoinTokenStore.inMemory(clock);
        caServer = caServer("127.0.0.1:0");
        Files.writeString(dir.resolve("bundle.pem"), ca.trustBundle().toPem());
        Files.writeString(dir.resolve("admin.token"), ADMIN_TOKEN + "\n");
        app = new TestHttpApp();
    }

    private CaServer caServer(String listen) {
        return CaServer.builder()
                .certificateAuthority(ca)
                .joinTokens(tokens)
                .clock(clock)
                .listen(listen)
                .build()
                .start();
    }

    @AfterEach
    void stop() {
        app.close();
        caServer.close();
    }

    private SidecarConfig backendConfig(String token) throws Exception {
        Files.writeString(dir.resolve("backend.token"), token + "\n");
        Files.createDirectories(dir.resolve("backend-policies"));
        Files.writeString(dir.resolve("backend-policies/inbound.yaml"), TestMesh.policy("backend"));
        final String yaml = "service: backend\n"
                + "namespace: shop\n"
                + "trustDomain: example.org\n"
                + "identity: {ca: 127.0.0.1:" + caServer.port()
                + ", caBundle: bundle.pem, joinTokenFile: backend.token, certTtl: 1m}\n"
                + "inbound: {listen: 127.0.0.1:0, app: 127.0.0.1:" + app.port() + "}\n"
                + "policy: {dir: backend-policies}\n"
                + "admin: {listen: 127.0.0.1:0, tokenFile: admin.token}\n";
        Files.writeString(dir.resolve("backend.yaml"), yaml);
        return new ConfigLoader().load(dir.resolve("backend.yaml"));
    }

    private Sidecar frontend(int backendPort) throws Exception {
        final SidecarConfig config = TestMesh.config(
                dir,
                FRONTEND,
                1,
                "http",
                "",
                "outbound: {listen: 127.0.0.1:0, routes: {backend: {address: 127.0.0.1:" + backendPort + ", identity: "
                        + BACKEND + "}}}\n");
        return Sidecar.start(config, new StaticWorkloadIdentity(ca.issueOffline(FRONTEND, Duration.ofHours(1))), clock);
    }

    private static AggregatedHttpResponse call(Sidecar frontend) {
        return WebClient.of("http://127.0.0.1:" + frontend.outboundPort())
                .execute(RequestHeaders.builder(HttpMethod.GET, "/echo/reenrol")
                        .authority("backend")
                        .build())
                .aggregate()
                .join();
    }

    private static AggregatedHttpResponse renew(WebClient admin) {
        return admin.execute(RequestHeaders.builder(HttpMethod.POST, "/certs/renew")
                        .add("authorization", "Bearer " + ADMIN_TOKEN)
                        .build())
                .aggregate()
                .join();
    }

    private static String serial(WebClient admin) throws Exception {
        return new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(admin.get("/certs").aggregate().join().contentUtf8())
                .get("serial")
                .asText();
    }

    @Test
    void aSidecarWhoseCertificateExpiredDuringACaOutageReEnrolsWithAFreshTokenInItsFileWithoutARestart()
            throws Exception {
        final String first = tokens.create(BACKEND, Duration.ofMinutes(10), false);
        final SidecarConfig config = backendConfig(first);
        try (Sidecar backend = Sidecar.start(config, Identities.obtain(config, clock), clock)) {
            final WebClient admin = WebClient.of("http://127.0.0.1:" + backend.adminPort());
            try (Sidecar before = frontend(backend.inboundPort())) {
                assertThat(call(before).status()).isEqualTo(HttpStatus.OK);
            }
            final String firstSerial = serial(admin);

            // The CA goes down and stays down past the certificate's expiry: the sidecar fails closed. A caller
            // started now has no connection from before the expiry, so each call is a new handshake.
            final int caPort = caServer.port();
            caServer.close();
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> admin.get("/readyz").aggregate().join().status() == HttpStatus.SERVICE_UNAVAILABLE);
            assertThat(admin.get("/readyz").aggregate().join().contentUtf8()).contains("certificate expired at");
            final Sidecar frontend = frontend(backend.inboundPort());
            assertThat(call(frontend).status()).isNotEqualTo(HttpStatus.OK);

            // The CA is back, but the file still holds the spent single-use token: the CA refuses it.
            caServer = caServer("127.0.0.1:" + caPort);
            final AggregatedHttpResponse refused = renew(admin);
            assertThat(refused.status()).isEqualTo(HttpStatus.BAD_GATEWAY);
            assertThat(call(frontend).status()).isNotEqualTo(HttpStatus.OK);

            // The documented step: a fresh single-use token into the token file. The next retry re-enrols.
            Files.writeString(dir.resolve("backend.token"), tokens.create(BACKEND, Duration.ofMinutes(10), false));
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> call(frontend).status() == HttpStatus.OK);
            assertThat(call(frontend).contentUtf8()).contains("URI=" + FRONTEND);
            assertThat(serial(admin)).isNotEqualTo(firstSerial);
            assertThat(admin.get("/readyz").aggregate().join().status()).isEqualTo(HttpStatus.OK);
            frontend.close();
        }
    }
}
