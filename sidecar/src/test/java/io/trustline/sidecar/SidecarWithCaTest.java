package io.trustline.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import io.trustline.sidecar.identity.WorkloadIdentity;
import io.trustline.sidecar.testing.TestHttpApp;
import io.trustline.sidecar.testing.TestMesh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production start-up path: each sidecar makes its key, gets its SVID from a real CA server over gRPC with a
 * join token, and only then opens its listeners; then a call crosses both.
 */
class SidecarWithCaTest {

    private static final SpiffeId FRONTEND = SpiffeId.of("example.org", "shop", "frontend");
    private static final SpiffeId BACKEND = SpiffeId.of("example.org", "shop", "backend");

    /** Made per run; never a real secret. */
    private static final String ADMIN_TOKEN = "admin-" + java.util.UUID.randomUUID();

    @TempDir
    Path dir;

    CaServer caServer;
    TestHttpApp app;

    @BeforeEach
    void startCa() throws Exception {
        final CertificateAuthority ca =
                CertificateAuthority.createRoot("example.org", KeyType.EC_P256, Clock.systemUTC());
        caServer = CaServer.builder()
                .certificateAuthority(ca)
                .joinTokens(JoinTokenStore.inMemory(Clock.systemUTC()))
                .listen("127.0.0.1:0")
                .build()
                .start();
        Files.writeString(dir.resolve("bundle.pem"), ca.trustBundle().toPem());
        Files.writeString(dir.resolve("admin.token"), ADMIN_TOKEN + "\n");
        app = new TestHttpApp();
    }

    @AfterEach
    void stop() {
        app.close();
        caServer.close();
    }

    private SidecarConfig config(SpiffeId id, String token, String outbound) throws Exception {
        final String name = id.path().substring(id.path().lastIndexOf('/') + 1);
        Files.writeString(dir.resolve(name + ".token"), token + "\n");
        Files.createDirectories(dir.resolve(name + "-policies"));
        Files.writeString(dir.resolve(name + "-policies/inbound.yaml"), TestMesh.policy(name));
        final String yaml = "service: " + name + "\n"
                + "namespace: shop\n"
                + "trustDomain: example.org\n"
                + "identity: {ca: 127.0.0.1:" + caServer.port() + ", caBundle: bundle.pem, joinTokenFile: " + name
                + ".token, certTtl: 10m}\n"
                + "inbound: {listen: 127.0.0.1:0, app: 127.0.0.1:" + app.port() + "}\n"
                + outbound
                + "policy: {dir: " + name + "-policies}\n"
                + "admin: {listen: 127.0.0.1:0, tokenFile: admin.token}\n";
        Files.writeString(dir.resolve(name + ".yaml"), yaml);
        return new ConfigLoader().load(dir.resolve(name + ".yaml"));
    }

    @Test
    void sidecarsObtainTheirSvidsFromTheCaAndServeACall() throws Exception {
        final Clock clock = Clock.systemUTC();
        final String backendToken = caServer.joinTokens().create(BACKEND, Duration.ofMinutes(5), false);
        final SidecarConfig backendConfig = config(BACKEND, backendToken, "");
        final WorkloadIdentity backendIdentity = Identities.obtain(backendConfig, clock);
        assertThat(backendIdentity.current().id()).isEqualTo(BACKEND);
        assertThat(Duration.between(
                        backendIdentity.current().notBefore(),
                        backendIdentity.current().notAfter()))
                .isLessThanOrEqualTo(Duration.ofMinutes(11));

        try (Sidecar backend = Sidecar.start(backendConfig, backendIdentity, clock)) {
            final String frontendToken = caServer.joinTokens().create(FRONTEND, Duration.ofMinutes(5), false);
            final SidecarConfig frontendConfig = config(
                    FRONTEND,
                    frontendToken,
                    "outbound: {listen: 127.0.0.1:0, routes: {backend: {address: 127.0.0.1:" + backend.inboundPort()
                            + ", identity: " + BACKEND + "}}}\n");
            try (Sidecar frontend = Sidecar.start(frontendConfig, Identities.obtain(frontendConfig, clock), clock)) {
                final AggregatedHttpResponse res = WebClient.of("http://127.0.0.1:" + frontend.outboundPort())
                        .execute(RequestHeaders.builder(HttpMethod.GET, "/echo/ca")
                                .authority("backend")
                                .build())
                        .aggregate()
                        .join();
                assertThat(res.status()).isEqualTo(HttpStatus.OK);
                assertThat(res.contentUtf8()).contains("URI=" + FRONTEND);
            }
        }
    }

    @Test
    void aForcedRenewalOnTheAdminPortNeedsTheTokenAndSwapsTheCertificateWithoutARestart() throws Exception {
        final Clock clock = Clock.systemUTC();
        final String token = caServer.joinTokens().create(BACKEND, Duration.ofMinutes(5), false);
        final SidecarConfig config = config(BACKEND, token, "");
        try (Sidecar backend = Sidecar.start(config, Identities.obtain(config, clock), clock)) {
            final WebClient admin = WebClient.of("http://127.0.0.1:" + backend.adminPort());
            final String before = certSerial(admin);

            assertThat(renew(admin, null).status()).isEqualTo(HttpStatus.UNAUTHORIZED);
            assertThat(renew(admin, "Bearer wrong").status()).isEqualTo(HttpStatus.UNAUTHORIZED);
            assertThat(certSerial(admin)).isEqualTo(before);

            final AggregatedHttpResponse renewed = renew(admin, "Bearer " + ADMIN_TOKEN);
            assertThat(renewed.status()).isEqualTo(HttpStatus.OK);
            final String after = certSerial(admin);
            assertThat(after).isNotEqualTo(before);
            assertThat(renewed.contentUtf8())
                    .contains("\"serial\":\"" + after + "\"")
                    .doesNotContain("PRIVATE");
            assertThat(metrics(admin)).contains("trustline_certificate_renewals_total{result=\"success\"} 1.0");

            // The CA goes away: the renewal fails with a reason, the certificate in use stays, the failure is counted.
            caServer.close();
            final AggregatedHttpResponse failed = renew(admin, "Bearer " + ADMIN_TOKEN);
            assertThat(failed.status()).isEqualTo(HttpStatus.BAD_GATEWAY);
            assertThat(failed.contentUtf8()).contains("svid renewal failed, keeping the current one");
            assertThat(certSerial(admin)).isEqualTo(after);
            // At least 1: the background retries (from 1 s on) may have failed too by now.
            assertThat(metrics(admin))
                    .containsPattern("trustline_certificate_renewals_total\\{result=\"failure\"} [1-9]");
        }
    }

    private static AggregatedHttpResponse renew(WebClient admin, String authorization) {
        final com.linecorp.armeria.common.RequestHeadersBuilder headers =
                RequestHeaders.builder(HttpMethod.POST, "/certs/renew");
        if (authorization != null) {
            headers.add("authorization", authorization);
        }
        return admin.execute(headers.build()).aggregate().join();
    }

    private static String certSerial(WebClient admin) {
        final String body = admin.get("/certs").aggregate().join().contentUtf8();
        final java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("\"serial\":\"([0-9a-f]+)\"").matcher(body);
        assertThat(m.find()).as(body).isTrue();
        return m.group(1);
    }

    private static String metrics(WebClient admin) {
        return admin.get("/metrics").aggregate().join().contentUtf8();
    }

    @Test
    void aBrokenPolicyDirectoryStopsStartupBeforeTheJoinTokenIsSpent() throws Exception {
        final String token = caServer.joinTokens().create(BACKEND, Duration.ofMinutes(5), false);
        config(BACKEND, token, "");
        Files.writeString(dir.resolve("backend-policies/inbound.yaml"), "apiVersion: trustline.io/v1\nkind: Nope\n");
        final java.io.PrintStream savedErr = System.err;
        final java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        final int exit;
        try {
            exit = new picocli.CommandLine(new Main())
                    .execute("--config", dir.resolve("backend.yaml").toString());
        } finally {
            System.setErr(savedErr);
        }
        assertThat(exit).isEqualTo(Main.EXIT_CONFIG);
        assertThat(captured.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("inbound.yaml:2:");
        // The token was not redeemed: a fixed policy can start with it.
        assertThat(caServer.joinTokens().check(token).spiffeId()).isEqualTo(BACKEND);
    }

    @Test
    void aRefusedJoinTokenStopsStartupWithAClearMessage() throws Exception {
        final String tokenForAnotherId = caServer.joinTokens().create(FRONTEND, Duration.ofMinutes(5), false);
        final SidecarConfig backendConfig = config(BACKEND, tokenForAnotherId, "");
        assertThatThrownBy(() -> Identities.obtain(backendConfig, Clock.systemUTC()))
                .hasMessageContaining("PERMISSION_DENIED")
                .hasMessageNotContaining(tokenForAnotherId.substring(tokenForAnotherId.indexOf('.') + 1));
    }
}
