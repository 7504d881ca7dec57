package io.trustline.sidecar.jwt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.ClientTlsSpec;
import com.linecorp.armeria.client.RequestOptions;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.TlsKeyPair;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.KeyType;
import io.trustline.ca.X509Svid;
import io.trustline.ca.testing.MutableClock;
import io.trustline.sidecar.Sidecar;
import io.trustline.sidecar.identity.StaticWorkloadIdentity;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.testing.TestHttpApp;
import io.trustline.sidecar.testing.TestMesh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The issuer's side of JWT authentication through a real sidecar whose clock the test moves: an outage of the JWKS
 * endpoint, a key rotation, and {@code required: true}. Nothing restarts the sidecar.
 */
class JwksResilienceTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static CertificateAuthority ca;
    static TestHttpApp app;
    static ClientFactory factory;
    static ClientTlsSpec frontendTls;

    @TempDir
    Path dir;

    MutableClock clock;
    TestTokens tokens;
    JwksServer jwks;
    Sidecar sidecar;

    @BeforeAll
    static void startApp() {
        ca = CertificateAuthority.createRoot(TestMesh.TRUST_DOMAIN, KeyType.EC_P256, Clock.systemUTC());
        app = new TestHttpApp();
        factory = ClientFactory.builder().build();
        final X509Svid frontend = ca.issueOffline(TestMesh.FRONTEND, Duration.ofHours(1));
        frontendTls = ClientTlsSpec.builder()
                .tlsKeyPair(TlsKeyPair.of(frontend.privateKey(), frontend.chain()))
                .trustedCertificates(ca.trustBundle().roots())
                .endpointIdentificationAlgorithm("")
                .build();
    }

    @AfterAll
    static void stopApp() {
        factory.close();
        app.close();
    }

    @BeforeEach
    void startSidecar() throws Exception {
        clock = MutableClock.startingNow();
        tokens = new TestTokens("https://issuer.test", "1", clock);
        jwks = new JwksServer(tokens.jwks());
        Files.writeString(
                TestMesh.policyDir(dir, TestMesh.BACKEND).resolve("jwt.yaml"),
                "apiVersion: trustline.io/v1\n"
                        + "kind: Policy\n"
                        + "metadata: {name: backend-jwt}\n"
                        + "spec:\n"
                        + "  service: backend\n"
                        + "  jwt:\n"
                        + "    - issuer: https://issuer.test\n"
                        + "      audiences: [backend]\n"
                        + "      jwksUri: " + jwks.url() + "\n"
                        + "      required: true\n"
                        + "      jwksCache: {refreshInterval: 1s, maxStaleness: 30s, minRefetchInterval: 1s}\n");
        sidecar = Sidecar.start(
                TestMesh.config(dir, TestMesh.BACKEND, app.port(), "http", "", ""),
                new StaticWorkloadIdentity(ca.issueOffline(TestMesh.BACKEND, Duration.ofHours(1))),
                clock);
        await().atMost(Duration.ofSeconds(10)).until(() -> sidecar.jwt().ready());
    }

    @AfterEach
    void stopSidecar() {
        sidecar.close();
        jwks.close();
    }

    private AggregatedHttpResponse call(RequestHeaders headers) {
        return WebClient.builder("https://127.0.0.1:" + sidecar.inboundPort())
                .factory(factory)
                .build()
                .execute(
                        HttpRequest.of(headers),
                        RequestOptions.builder().clientTlsSpec(frontendTls).build())
                .aggregate()
                .join();
    }

    private AggregatedHttpResponse get(String token) {
        return call(RequestHeaders.builder(HttpMethod.GET, "/echo/x")
                .add(HttpHeaderNames.AUTHORIZATION, "Bearer " + token)
                .build());
    }

    private static String reason(AggregatedHttpResponse res) throws Exception {
        return JSON.readTree(res.contentUtf8()).get("reason").asText();
    }

    private double metric(String name, String tagKey, String tagValue) {
        return sidecar.meters()
                .get(name)
                .tag(tagKey, tagValue)
                .meter()
                .measure()
                .iterator()
                .next()
                .getValue();
    }

    @Test
    void requiredTrueRefusesACallWithoutATokenWithTheBareChallenge() throws Exception {
        final long before = app.requests();
        final AggregatedHttpResponse http = call(RequestHeaders.of(HttpMethod.GET, "/echo/x"));
        assertThat(http.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
        assertThat(reason(http)).isEqualTo("jwt.missing");
        assertThat(http.headers().get(HttpHeaderNames.WWW_AUTHENTICATE))
                .as("RFC 6750: no error code when no credentials were sent")
                .isEqualTo("Bearer");
        final AggregatedHttpResponse grpc = call(RequestHeaders.builder(HttpMethod.POST, "/pkg.Echo/Unary")
                .contentType(MediaType.parse("application/grpc"))
                .build());
        assertThat(grpc.headers().get("grpc-status")).as("UNAUTHENTICATED").isEqualTo("16");
        assertThat(grpc.headers().get("x-trustline-reason")).isEqualTo("jwt.missing");
        assertThat(app.requests()).isEqualTo(before);
        assertThat(get(tokens.rs256()).status()).isEqualTo(HttpStatus.OK);
    }

    @Test
    void throughAnIssuerOutageTheLastGoodKeysServeUntilMaxStalenessThenCallsFailClosedUntilItReturns()
            throws Exception {
        final String cached = tokens.rs256();
        assertThat(get(cached).status()).isEqualTo(HttpStatus.OK);

        jwks.stop();
        clock.advance(Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> metric(MetricNames.JWKS_FETCHES, MetricNames.RESULT, "failure") >= 1);
        assertThat(get(cached).status()).as("a cached token").isEqualTo(HttpStatus.OK);
        assertThat(get(tokens.es256()).status())
                .as("a new token, verified with stale keys")
                .isEqualTo(HttpStatus.OK);
        assertThat(metric(MetricNames.JWKS_STALENESS, MetricNames.JWKS, jwks.url()))
                .isGreaterThanOrEqualTo(10);

        clock.advance(Duration.ofSeconds(21));
        final AggregatedHttpResponse closed = get(cached);
        assertThat(closed.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
        assertThat(reason(closed)).isEqualTo("jwt.jwks_unavailable");
        assertThat(closed.headers().get(HttpHeaderNames.WWW_AUTHENTICATE)).isEqualTo("Bearer error=\"invalid_token\"");
        assertThat(reason(get(tokens.eddsa()))).isEqualTo("jwt.jwks_unavailable");
        assertThat(metric(MetricNames.JWKS_AVAILABLE, MetricNames.JWKS, jwks.url()))
                .isZero();

        jwks.restart();
        clock.advance(Duration.ofSeconds(2));
        await().atMost(Duration.ofSeconds(10)).until(() -> get(cached).status() == HttpStatus.OK);
        assertThat(get(tokens.es256()).status()).isEqualTo(HttpStatus.OK);
        assertThat(metric(MetricNames.JWKS_AVAILABLE, MetricNames.JWKS, jwks.url()))
                .isEqualTo(1);
    }

    private AggregatedHttpResponse readyz() {
        return WebClient.of("http://127.0.0.1:" + sidecar.adminPort())
                .get("/readyz")
                .aggregate()
                .join();
    }

    @Test
    void readyzTurnsUnavailableWithReasonJwksPastMaxStalenessAndBackWhenTheIssuerReturns() throws Exception {
        assertThat(readyz().status()).isEqualTo(HttpStatus.OK);

        jwks.stop();
        clock.advance(Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> metric(MetricNames.JWKS_FETCHES, MetricNames.RESULT, "failure") >= 1);
        assertThat(readyz().status())
                .as("stale keys within maxStaleness still verify tokens")
                .isEqualTo(HttpStatus.OK);

        clock.advance(Duration.ofSeconds(21));
        assertThat(reason(get(tokens.rs256()))).isEqualTo("jwt.jwks_unavailable");
        final AggregatedHttpResponse down = readyz();
        assertThat(down.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(JSON.readTree(down.contentUtf8()).get("checks").get("jwks").asText())
                .contains("https://issuer.test")
                .contains("maxStaleness");

        jwks.restart();
        clock.advance(Duration.ofSeconds(2));
        await().atMost(Duration.ofSeconds(10)).until(() -> readyz().status() == HttpStatus.OK);
        assertThat(JSON.readTree(readyz().contentUtf8())
                        .get("checks")
                        .get("jwks")
                        .asText())
                .isEqualTo("ok");
        assertThat(get(tokens.rs256()).status()).isEqualTo(HttpStatus.OK);
    }

    @Test
    void aKeyRotationAtTheIssuerIsPickedUpWithoutARestart() throws Exception {
        final String old = tokens.rs256();
        assertThat(get(old).status()).isEqualTo(HttpStatus.OK);

        final RSAKey next = new RSAKeyGenerator(2048).keyID("rsa-2").generate();
        jwks.publish(TestTokens.jwks(next));
        final String rotated =
                TestTokens.sign(next, JWSAlgorithm.RS256, tokens.claims().build());
        assertThat(get(rotated).status())
                .as("the unknown kid makes the sidecar refetch, and the call waits for it")
                .isEqualTo(HttpStatus.OK);

        final AggregatedHttpResponse withdrawn = get(old);
        assertThat(withdrawn.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
        assertThat(reason(withdrawn)).as("the old key left the JWKS").isEqualTo("jwt.unknown_kid");
    }
}
