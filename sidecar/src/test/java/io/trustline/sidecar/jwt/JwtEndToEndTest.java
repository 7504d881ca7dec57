package io.trustline.sidecar.jwt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
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
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.TlsKeyPair;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.X509Svid;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.testing.TestMesh;
import io.trustline.sidecar.testing.v1.EchoGrpc;
import io.trustline.sidecar.testing.v1.EchoRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JWT authentication through real sidecars: app client -> frontend (outbound) -> mTLS -> backend (inbound) -> app,
 * for HTTP and gRPC callers, with tokens and keys made at test time and the issuer's JWKS served over HTTP.
 */
class JwtEndToEndTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final SpiffeId TESTER = SpiffeId.of(TestMesh.TRUST_DOMAIN, "shop", "tester");
    static final String CHALLENGE = "Bearer error=\"invalid_token\"";

    @TempDir
    static Path dir;

    static TestTokens tokens;
    static JwksServer jwks;
    static TestMesh mesh;
    static WebClient outbound;
    static ManagedChannel channel;
    static ClientTlsSpec testerTls;
    static ClientFactory directFactory;

    /** One issuer per behaviour; all but down.test publish their keys at the same JWKS. */
    static String policy(String service, String jwksUrl) {
        return "apiVersion: trustline.io/v1\n"
                + "kind: Policy\n"
                + "metadata: {name: " + service + "-jwt}\n"
                + "spec:\n"
                + "  service: " + service + "\n"
                + "  jwt:\n"
                + "    - issuer: https://issuer.test\n"
                + "      audiences: [backend, other]\n"
                + "      jwksUri: " + jwksUrl + "\n"
                + "      claimsToHeaders: {sub: x-user-id, tenant: x-tenant}\n"
                + "    - issuer: https://audit.test\n"
                + "      audiences: [backend]\n"
                + "      jwksUri: " + jwksUrl + "\n"
                + "      mode: audit\n"
                + "    - issuer: https://private.test\n"
                + "      audiences: [backend]\n"
                + "      jwksUri: " + jwksUrl + "\n"
                + "      fromHeaders: [{name: x-token}]\n"
                + "      fromQuery: access_token\n"
                + "      forwardToken: false\n"
                + "      maxTokenLifetime: 1h\n"
                + "    - issuer: https://down.test\n"
                + "      audiences: [backend]\n"
                + "      jwksUri: http://127.0.0.1:1/jwks.json\n"
                + "  rules:\n"
                + "    - name: tester-as-a-user\n"
                + "      action: allow\n"
                + "      from: {principals: [\"" + TESTER + "\"], requestPrincipals: [\"https://issuer.test/*\"]}\n"
                + "      to: {paths: [\"/echo/user*\"]}\n";
    }

    @BeforeAll
    static void startMesh() throws Exception {
        tokens = new TestTokens("https://issuer.test", "e2e", Clock.systemUTC());
        jwks = new JwksServer(tokens.jwks());
        for (SpiffeId id : List.of(TestMesh.BACKEND, TestMesh.GRPC_BACKEND)) {
            final String service = id.path().substring(id.path().lastIndexOf('/') + 1);
            Files.writeString(TestMesh.policyDir(dir, id).resolve("jwt.yaml"), policy(service, jwks.url()));
        }
        mesh = TestMesh.start(dir);
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() -> mesh.backend
                                .jwt()
                                .current()
                                .verifier("https://issuer.test")
                                .keys()
                                .fetchedOnce()
                        && mesh.grpcBackend
                                .jwt()
                                .current()
                                .verifier("https://issuer.test")
                                .keys()
                                .fetchedOnce());
        outbound = WebClient.builder("http://127.0.0.1:" + mesh.frontend.outboundPort())
                .responseTimeout(Duration.ofSeconds(30))
                .build();
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", mesh.frontend.outboundPort())
                .usePlaintext()
                .overrideAuthority("grpc-backend")
                .build();
        final X509Svid tester = mesh.issue(TESTER);
        testerTls = ClientTlsSpec.builder()
                .tlsKeyPair(TlsKeyPair.of(tester.privateKey(), tester.chain()))
                .trustedCertificates(mesh.ca.trustBundle().roots())
                .endpointIdentificationAlgorithm("")
                .build();
        directFactory = ClientFactory.builder().build();
    }

    @AfterAll
    static void stopMesh() throws Exception {
        channel.shutdownNow();
        directFactory.close();
        mesh.close();
        jwks.close();
    }

    private static AggregatedHttpResponse get(String path, String... nameValues) {
        final RequestHeadersBuilder b =
                RequestHeaders.builder(HttpMethod.GET, path).authority("backend");
        for (int i = 0; i < nameValues.length; i += 2) {
            b.add(nameValues[i], nameValues[i + 1]);
        }
        return outbound.execute(b.build()).aggregate().join();
    }

    private static AggregatedHttpResponse getAsTester(String path, String... nameValues) {
        final RequestHeadersBuilder b = RequestHeaders.builder(HttpMethod.GET, path);
        for (int i = 0; i < nameValues.length; i += 2) {
            b.add(nameValues[i], nameValues[i + 1]);
        }
        return WebClient.builder("https://127.0.0.1:" + mesh.backend.inboundPort())
                .factory(directFactory)
                .build()
                .execute(
                        HttpRequest.of(b.build()),
                        RequestOptions.builder().clientTlsSpec(testerTls).build())
                .aggregate()
                .join();
    }

    private static JsonNode json(AggregatedHttpResponse res) throws Exception {
        return JSON.readTree(res.contentUtf8());
    }

    private static String bearer(String token) {
        return "Bearer " + token;
    }

    /** Each rejection: a name, the request headers carrying the token(s), the reason. */
    record Case(String name, List<String> headers, String reason) {}

    static List<Case> rejections() throws Exception {
        final RSAKey stranger = new RSAKeyGenerator(2048).keyID("stranger").generate();
        final Instant now = Instant.now();
        final List<Case> cases = new ArrayList<>();
        cases.add(new Case("malformed", List.of("authorization", bearer("not-a-jwt")), "jwt.malformed"));
        cases.add(new Case("bad signature", List.of("authorization", bearer(tokens.tampered())), "jwt.bad_signature"));
        cases.add(new Case(
                "psychic signature",
                List.of("authorization", bearer(tokens.es256WithZeroSignature())),
                "jwt.bad_signature"));
        cases.add(new Case(
                "unknown kid",
                List.of(
                        "authorization",
                        bearer(TestTokens.sign(
                                stranger, JWSAlgorithm.RS256, tokens.claims().build()))),
                "jwt.unknown_kid"));
        cases.add(new Case("alg none", List.of("authorization", bearer(tokens.unsigned())), "jwt.alg_not_allowed"));
        cases.add(new Case(
                "HMAC with the public key",
                List.of("authorization", bearer(tokens.hs256WithThePublicKey())),
                "jwt.alg_not_allowed"));
        cases.add(new Case(
                "alg not in the allow-list",
                List.of(
                        "authorization",
                        bearer(TestTokens.sign(
                                tokens.rsa, JWSAlgorithm.PS256, tokens.claims().build()))),
                "jwt.alg_not_allowed"));
        cases.add(new Case(
                "expired",
                List.of(
                        "authorization",
                        bearer(tokens.rs256(b -> b.expirationTime(Date.from(now.minus(Duration.ofMinutes(2))))))),
                "jwt.expired"));
        cases.add(new Case(
                "nbf in the future",
                List.of(
                        "authorization",
                        bearer(tokens.rs256(b -> b.notBeforeTime(Date.from(now.plus(Duration.ofMinutes(5))))))),
                "jwt.not_yet_valid"));
        cases.add(new Case(
                "iat in the future",
                List.of(
                        "authorization",
                        bearer(tokens.rs256(b -> b.issueTime(Date.from(now.plus(Duration.ofMinutes(5))))))),
                "jwt.not_yet_valid"));
        cases.add(new Case(
                "no exp",
                List.of("authorization", bearer(tokens.rs256(b -> b.expirationTime(null)))),
                "jwt.missing_exp"));
        cases.add(new Case(
                "no sub", List.of("authorization", bearer(tokens.rs256(b -> b.subject(null)))), "jwt.missing_sub"));
        cases.add(new Case(
                "unknown issuer",
                List.of("authorization", bearer(tokens.rs256(b -> b.issuer("https://evil.test")))),
                "jwt.wrong_issuer"));
        cases.add(new Case(
                "wrong audience",
                List.of("authorization", bearer(tokens.rs256(b -> b.audience("payments")))),
                "jwt.wrong_audience"));
        cases.add(new Case(
                "unknown crit", List.of("authorization", bearer(tokens.withUnknownCrit())), "jwt.unknown_crit"));
        cases.add(new Case("a JWE", List.of("authorization", bearer(tokens.encrypted())), "jwt.encrypted"));
        cases.add(new Case(
                "two tokens",
                List.of("authorization", bearer(tokens.rs256()), "authorization", bearer(tokens.rs256())),
                "jwt.multiple_tokens"));
        cases.add(new Case(
                "bearer and x-token",
                List.of("authorization", bearer(tokens.rs256()), "x-token", tokens.rs256()),
                "jwt.multiple_tokens"));
        cases.add(new Case("too large", List.of("authorization", bearer("a".repeat(9000))), "jwt.too_large"));
        cases.add(new Case(
                "lifetime too long",
                List.of(
                        "x-token",
                        tokens.rs256(b -> b.issuer("https://private.test")
                                .expirationTime(Date.from(now.plus(Duration.ofHours(2)))))),
                "jwt.lifetime_too_long"));
        cases.add(new Case(
                "issuer's keys unavailable",
                List.of("authorization", bearer(tokens.rs256(b -> b.issuer("https://down.test")))),
                "jwt.jwks_unavailable"));
        return cases;
    }

    @Test
    void validRs256Es256AndEdDsaTokensWithAnAudArrayReachTheAppWithTheirClaims() throws Exception {
        for (String token : List.of(tokens.rs256(), tokens.es256(), tokens.eddsa())) {
            final AggregatedHttpResponse res = get("/echo/ok", "authorization", bearer(token));
            assertThat(res.status()).isEqualTo(HttpStatus.OK);
            final JsonNode headers = json(res).get("headers");
            assertThat(headers.get("x-user-id").asText()).isEqualTo("alice");
            assertThat(headers.get("x-tenant").asText()).isEqualTo("acme");
            assertThat(headers.get("authorization").asText())
                    .as("forwarded by default")
                    .isEqualTo(bearer(token));
        }
    }

    @Test
    void everyRejectionIs401WithItsReasonAndChallengeForHttpCallersAndNeverReachesTheApp() throws Exception {
        for (Case c : rejections()) {
            final long before = mesh.httpApp.requests();
            final AggregatedHttpResponse res = get("/echo/ok", c.headers().toArray(new String[0]));
            assertThat(res.status()).as(c.name()).isEqualTo(HttpStatus.UNAUTHORIZED);
            assertThat(json(res).get("reason").asText()).as(c.name()).isEqualTo(c.reason());
            assertThat(res.headers().get(HttpHeaderNames.WWW_AUTHENTICATE))
                    .as(c.name())
                    .isEqualTo(CHALLENGE);
            assertThat(res.contentUtf8())
                    .as(c.name())
                    .doesNotContain("stranger")
                    .doesNotContain("issuer.test");
            assertThat(mesh.httpApp.requests()).as(c.name()).isEqualTo(before);
        }
    }

    @Test
    void aTokenInTheQueryNextToOneInAHeaderIsTwoTokens() throws Exception {
        final AggregatedHttpResponse res =
                get("/echo/ok?access_token=" + tokens.rs256(), "authorization", bearer(tokens.rs256()));
        assertThat(res.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
        assertThat(json(res).get("reason").asText()).isEqualTo("jwt.multiple_tokens");
    }

    @Test
    void everyRejectionIsUnauthenticatedForGrpcCallersAndNeverReachesTheApp() throws Exception {
        for (Case c : rejections()) {
            final Metadata metadata = new Metadata();
            for (int i = 0; i < c.headers().size(); i += 2) {
                metadata.put(
                        Metadata.Key.of(c.headers().get(i), Metadata.ASCII_STRING_MARSHALLER),
                        c.headers().get(i + 1));
            }
            final long before = mesh.grpcApp.calls();
            assertThatThrownBy(() -> EchoGrpc.newBlockingStub(channel)
                            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata))
                            .unary(EchoRequest.newBuilder().setMessage("x").build()))
                    .as(c.name())
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).as(c.name()).isEqualTo(Status.Code.UNAUTHENTICATED);
                        assertThat(e.getStatus().getDescription()).as(c.name()).contains(c.reason());
                        assertThat(e.getTrailers()
                                        .get(Metadata.Key.of("x-trustline-reason", Metadata.ASCII_STRING_MARSHALLER)))
                                .as(c.name())
                                .isEqualTo(c.reason());
                    });
            assertThat(mesh.grpcApp.calls()).as(c.name()).isEqualTo(before);
        }
    }

    @Test
    void aValidTokenOnAGrpcCallReachesTheApp() {
        final Metadata metadata = new Metadata();
        metadata.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), bearer(tokens.es256()));
        assertThat(EchoGrpc.newBlockingStub(channel)
                        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata))
                        .unary(EchoRequest.newBuilder().setMessage("hi").build())
                        .getMessage())
                .isEqualTo("hi");
    }

    @Test
    void spoofedClaimHeadersNeverReachTheApp() throws Exception {
        final JsonNode without =
                json(get("/echo/ok", "x-user-id", "admin", "x-tenant", "evil")).get("headers");
        assertThat(without.has("x-user-id")).isFalse();
        assertThat(without.has("x-tenant")).isFalse();
        final JsonNode with = json(get("/echo/ok", "x-user-id", "admin", "authorization", bearer(tokens.rs256())))
                .get("headers");
        assertThat(with.get("x-user-id").asText()).isEqualTo("alice");
    }

    @Test
    void forwardTokenFalseKeepsTheTokenFromTheApp() throws Exception {
        final String token = tokens.rs256(b -> b.issuer("https://private.test"));
        final AggregatedHttpResponse header = get("/echo/ok", "x-token", token);
        assertThat(header.status()).isEqualTo(HttpStatus.OK);
        assertThat(json(header).get("headers").has("x-token")).isFalse();
        final AggregatedHttpResponse query = get("/echo/ok?a=1&access_token=" + token);
        assertThat(query.status()).isEqualTo(HttpStatus.OK);
        assertThat(json(query).get("path").asText()).isEqualTo("/echo/ok?a=1");
    }

    @Test
    void auditModeLetsABadTokenThroughAndRecordsTheWouldBeRejection() throws Exception {
        final String expired = tokens.rs256(b -> b.issuer("https://audit.test")
                .audience("backend")
                .expirationTime(Date.from(Instant.now().minus(Duration.ofHours(1)))));
        final double before = auditedExpired();
        final AggregatedHttpResponse res = get("/echo/ok", "authorization", bearer(expired));
        assertThat(res.status()).isEqualTo(HttpStatus.OK);
        assertThat(auditedExpired()).isEqualTo(before + 1);
        // ... but the token does not make the caller a user.
        final AggregatedHttpResponse asUser = getAsTester("/echo/user", "authorization", bearer(expired));
        assertThat(json(asUser).get("reason").asText()).isEqualTo("authz.token_required");
    }

    private static double auditedExpired() {
        return mesh.backend
                .meters()
                .get(MetricNames.JWT_VERIFICATIONS)
                .tags(MetricNames.RESULT, "jwt.expired", MetricNames.MODE, "audit")
                .counter()
                .count();
    }

    @Test
    void aMissingTokenIsForPolicyToJudge() throws Exception {
        assertThat(get("/echo/ok").status()).as("the frontend needs no user").isEqualTo(HttpStatus.OK);
        final AggregatedHttpResponse noToken = getAsTester("/echo/user");
        assertThat(noToken.status()).isEqualTo(HttpStatus.FORBIDDEN);
        assertThat(json(noToken).get("reason").asText()).isEqualTo("authz.token_required");
        final AggregatedHttpResponse withToken = getAsTester("/echo/user", "authorization", bearer(tokens.eddsa()));
        assertThat(withToken.status()).isEqualTo(HttpStatus.OK);
        assertThat(json(withToken).get("headers").get("x-user-id").asText()).isEqualTo("alice");
    }

    @Test
    void theJwtMetricsAreOnTheAdminPort() {
        get("/echo/ok", "authorization", bearer(tokens.rs256()));
        final Map<String, String> expected = Map.of(
                "trustline_jwt_verifications_total", "result=\"verified\"",
                "trustline_jwt_jwks_staleness_seconds", "jwks=\"" + jwks.url() + "\"",
                "trustline_jwt_jwks_available", "jwks=\"http://127.0.0.1:1/jwks.json\"");
        final String scrape = WebClient.of("http://127.0.0.1:" + mesh.backend.adminPort())
                .get("/metrics")
                .aggregate()
                .join()
                .contentUtf8();
        expected.forEach((name, tag) -> assertThat(scrape).contains(name).contains(tag));
    }
}
