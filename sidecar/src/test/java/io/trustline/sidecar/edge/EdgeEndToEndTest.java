package io.trustline.sidecar.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
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
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.TlsKeyPair;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.X509Svid;
import io.trustline.ca.testing.MutableClock;
import io.trustline.sidecar.Sidecar;
import io.trustline.sidecar.jwt.JwksServer;
import io.trustline.sidecar.jwt.TestTokens;
import io.trustline.sidecar.testing.FakeTicker;
import io.trustline.sidecar.testing.TestMesh;
import io.trustline.sidecar.testing.v1.EchoGrpc;
import io.trustline.sidecar.testing.v1.EchoRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The edge protections through real sidecars, over real mTLS: a browser-facing caller ({@code tester}, calling the
 * backend's inbound listener directly, as an ingress would) meets the backend's CORS section, regex DENY rules and
 * request limits, a deprecated route whose sunset passes on the backends' fake clock, and a single-use token issuer
 * (HTTP and gRPC, the gRPC calls through the frontend's outbound listener). Every refused call is shown never to
 * reach the app.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EdgeEndToEndTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final SpiffeId TESTER = SpiffeId.of(TestMesh.TRUST_DOMAIN, "shop", "tester");
    static final String SHOP = "https://shop.example.org";

    @TempDir
    static Path dir;

    static final MutableClock clock = MutableClock.startingNow();
    static final Instant SUNSET = clock.instant().plus(Duration.ofMinutes(10)).truncatedTo(ChronoUnit.SECONDS);
    static TestTokens tokens;
    static TestTokens auditTokens;
    static JwksServer jwks;
    static TestMesh mesh;
    static ClientFactory factory;
    static ClientTlsSpec testerTls;
    static ManagedChannel channel;

    static String backendPolicy(String jwksUrl) {
        return "apiVersion: trustline.io/v1\n"
                + "kind: Policy\n"
                + "metadata: {name: backend-edge}\n"
                + "spec:\n"
                + "  service: backend\n"
                + "  cors:\n"
                + "    allowOrigins: [\"" + SHOP + "\"]\n"
                + "    allowMethods: [GET, POST]\n"
                + "    allowHeaders: [authorization, content-type]\n"
                + "    exposeHeaders: [x-request-id]\n"
                + "    maxAge: 10m\n"
                + "    allowCredentials: true\n"
                + "  requestLimits: {maxQueryParams: 8, maxQueryBytes: 4096, maxHeaderCount: 40}\n"
                + "  deprecations:\n"
                + "    - name: v1-echo\n"
                + "      match: {paths: [\"/echo/v1/*\"]}\n"
                + "      deprecated: 2026-01-01\n"
                + "      sunset: " + SUNSET + "\n"
                + "      link: https://docs.example.org/v2\n"
                + "      afterSunset: refuse\n"
                + "  jwt:\n"
                + "    - issuer: https://once.test\n"
                + "      audiences: [backend]\n"
                + "      jwksUri: " + jwksUrl + "\n"
                + "      replay: {maxUses: 1}\n"
                + "    - issuer: https://audit-once.test\n"
                + "      audiences: [backend]\n"
                + "      jwksUri: " + jwksUrl + "\n"
                + "      replay: {maxUses: 1, mode: audit}\n"
                + "  rules:\n"
                + "    - name: no-script-in-query\n"
                + "      action: deny\n"
                + "      to: {queryRegex: {\"*\": [\"(?i)<\\\\s*script\"]}}\n"
                + "    - name: no-backtracking-bomb\n"
                + "      action: deny\n"
                + "      to: {headerRegex: {x-payload: [\"^(a+)+$\"]}}\n"
                + "    - {name: tester-may-call, action: allow, from: {principals: [\"" + TESTER + "\"]}}\n";
    }

    /** A second service on the backend's sidecar would need a second sidecar: audit mode is shown on grpc-backend. */
    static String grpcBackendAuditPolicy(String jwksUrl) {
        return "apiVersion: trustline.io/v1\n"
                + "kind: Policy\n"
                + "metadata: {name: grpc-backend-audit}\n"
                + "spec:\n"
                + "  service: grpc-backend\n"
                + "  mode: audit\n"
                + "  cors: {allowOrigins: [\"" + SHOP + "\"]}\n"
                + "  requestLimits: {maxQueryParams: 1}\n"
                + "  deprecations:\n"
                + "    - name: old-echo\n"
                + "      match: {grpc: [\"trustline.test.v1.Echo/*\"]}\n"
                + "      deprecated: 2026-01-01\n"
                + "      sunset: 2026-01-02\n"
                + "      afterSunset: refuse\n"
                + "  rules:\n"
                + "    - name: no-script\n"
                + "      action: deny\n"
                + "      to: {queryRegex: {\"*\": [\"<script\"]}}\n"
                + "---\n"
                + "apiVersion: trustline.io/v1\n"
                + "kind: Policy\n"
                + "metadata: {name: grpc-backend-edge}\n"
                + "spec:\n"
                + "  service: grpc-backend\n"
                + "  jwt:\n"
                + "    - issuer: https://once.test\n"
                + "      audiences: [backend]\n"
                + "      jwksUri: " + jwksUrl + "\n"
                + "      replay: {maxUses: 1}\n";
    }

    @BeforeAll
    static void startMesh() throws Exception {
        tokens = new TestTokens("https://once.test", "once", Clock.systemUTC());
        auditTokens = new TestTokens("https://audit-once.test", "audit", Clock.systemUTC());
        jwks = new JwksServer(TestTokens.jwks(tokens.rsa, auditTokens.rsa));
        Files.writeString(TestMesh.policyDir(dir, TestMesh.BACKEND).resolve("edge.yaml"), backendPolicy(jwks.url()));
        Files.writeString(
                TestMesh.policyDir(dir, TestMesh.GRPC_BACKEND).resolve("audit.yaml"),
                grpcBackendAuditPolicy(jwks.url()));
        mesh = TestMesh.start(dir, "  limits: {maxHeaderBytes: 2200000}\n", new FakeTicker(), clock);
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() ->
                        mesh.backend.jwt().ready() && mesh.grpcBackend.jwt().ready());
        factory = ClientFactory.builder().build();
        final X509Svid tester = mesh.issue(TESTER);
        testerTls = ClientTlsSpec.builder()
                .tlsKeyPair(TlsKeyPair.of(tester.privateKey(), tester.chain()))
                .trustedCertificates(mesh.ca.trustBundle().roots())
                .endpointIdentificationAlgorithm("")
                .build();
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", mesh.frontend.outboundPort())
                .usePlaintext()
                .overrideAuthority("grpc-backend")
                .build();
    }

    @AfterAll
    static void stopMesh() throws Exception {
        channel.shutdownNow();
        factory.close();
        mesh.close();
        jwks.close();
    }

    /** A call straight to the backend's inbound listener with the tester's certificate. */
    static AggregatedHttpResponse call(HttpMethod method, String path, String... nameValues) {
        final RequestHeadersBuilder b = RequestHeaders.builder(method, path).authority("backend.shop");
        for (int i = 0; i < nameValues.length; i += 2) {
            b.add(nameValues[i], nameValues[i + 1]);
        }
        return WebClient.builder("https://127.0.0.1:" + mesh.backend.inboundPort())
                .factory(factory)
                .responseTimeout(Duration.ofSeconds(30))
                .maxResponseLength(0)
                .build()
                .execute(
                        HttpRequest.of(b.build()),
                        RequestOptions.builder().clientTlsSpec(testerTls).build())
                .aggregate()
                .join();
    }

    static String reason(AggregatedHttpResponse res) throws Exception {
        final JsonNode body = JSON.readTree(res.contentUtf8());
        return body.get("reason").asText();
    }

    static String metrics(Sidecar sidecar) {
        return WebClient.of("http://127.0.0.1:" + sidecar.adminPort())
                .get("/metrics")
                .aggregate()
                .join()
                .contentUtf8();
    }

    // ---- CORS ----

    @Test
    void aPreflightFromAnAllowedOriginIsAnsweredByTheSidecar() {
        final long before = mesh.httpApp.requests();
        final AggregatedHttpResponse res = call(
                HttpMethod.OPTIONS,
                "/echo/cart",
                "origin",
                SHOP,
                "access-control-request-method",
                "POST",
                "access-control-request-headers",
                "Content-Type, Authorization");
        assertThat(res.status()).isEqualTo(HttpStatus.NO_CONTENT);
        assertThat(res.headers().get("access-control-allow-origin")).isEqualTo(SHOP);
        assertThat(res.headers().get("access-control-allow-methods")).isEqualTo("GET, POST");
        assertThat(res.headers().get("access-control-allow-headers")).isEqualTo("authorization, content-type");
        assertThat(res.headers().get("access-control-allow-credentials")).isEqualTo("true");
        assertThat(res.headers().get("access-control-max-age")).isEqualTo("600");
        assertThat(res.headers().get("vary")).isEqualTo("Origin");
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
    }

    @Test
    void aPreflightFromAnotherOriginIsRefusedAndNeverForwarded() throws Exception {
        final long before = mesh.httpApp.requests();
        final AggregatedHttpResponse res = call(
                HttpMethod.OPTIONS,
                "/echo/cart",
                "origin",
                "https://evil.example.com",
                "access-control-request-method",
                "GET");
        assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);
        assertThat(reason(res)).isEqualTo("cors.origin_not_allowed");
        assertThat(res.headers().get("access-control-allow-origin")).isNull();
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
    }

    @Test
    void aCrossOriginGetFromAnotherOriginIsRefused() throws Exception {
        final long before = mesh.httpApp.requests();
        final AggregatedHttpResponse res = call(HttpMethod.GET, "/echo/cart", "origin", "https://evil.example.com");
        assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);
        assertThat(reason(res)).isEqualTo("cors.origin_not_allowed");
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
    }

    @Test
    void aCrossOriginGetFromAnAllowedOriginGetsTheCorsHeaders() {
        final AggregatedHttpResponse res = call(HttpMethod.GET, "/echo/cart", "origin", SHOP);
        assertThat(res.status()).isEqualTo(HttpStatus.OK);
        assertThat(res.headers().get("access-control-allow-origin")).isEqualTo(SHOP);
        assertThat(res.headers().get("access-control-allow-credentials")).isEqualTo("true");
        assertThat(res.headers().get("access-control-expose-headers")).isEqualTo("x-request-id");
        assertThat(res.headers().get("vary")).contains("Origin");
    }

    @Test
    void aSameOriginRequestAndOneWithoutOriginGetNoCorsHeaders() {
        final AggregatedHttpResponse same = call(HttpMethod.GET, "/echo/x", "origin", "https://backend.shop");
        assertThat(same.status()).isEqualTo(HttpStatus.OK);
        assertThat(same.headers().get("access-control-allow-origin")).isNull();
        final AggregatedHttpResponse none = call(HttpMethod.GET, "/echo/x");
        assertThat(none.status()).isEqualTo(HttpStatus.OK);
        assertThat(none.headers().get("access-control-allow-origin")).isNull();
    }

    static AggregatedHttpResponse preflight(Sidecar sidecar, String path) {
        return WebClient.builder("https://127.0.0.1:" + sidecar.inboundPort())
                .factory(factory)
                .build()
                .execute(
                        HttpRequest.of(RequestHeaders.builder(HttpMethod.OPTIONS, path)
                                .add("origin", "https://evil.example.com")
                                .add("access-control-request-method", "GET")
                                .build()),
                        RequestOptions.builder().clientTlsSpec(testerTls).build())
                .aggregate()
                .join();
    }

    @Test
    void aServiceWithoutACorsSectionAnswersNoPreflight() throws Exception {
        // The frontend's inbound policy has no cors section: the preflight goes on to policy like any request.
        final AggregatedHttpResponse res = preflight(mesh.frontend, "/x");
        assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);
        assertThat(reason(res)).isEqualTo("authz.no_allow_match");
        assertThat(res.headers().get("access-control-allow-origin")).isNull();
    }

    @Test
    void anAuditModeCorsSectionLetsARefusedPreflightGoOn() {
        // grpc-backend's cors is in audit mode: the preflight is not refused, policy lets /echo/public* in, and the
        // app answers it (without any CORS header from the sidecar).
        final AggregatedHttpResponse res = preflight(mesh.grpcBackend, "/echo/public");
        assertThat(res.status()).isNotEqualTo(HttpStatus.FORBIDDEN).isNotEqualTo(HttpStatus.NO_CONTENT);
        assertThat(res.headers().get("access-control-allow-origin")).isNull();
        assertThat(res.headers().get("x-trustline-reason")).isNull();
    }

    // ---- regex rules and request limits ----

    @Test
    void aRegexDenyBlocksAMaliciousQueryWhileANormalOnePasses() throws Exception {
        final long before = mesh.httpApp.requests();
        final AggregatedHttpResponse bad = call(HttpMethod.GET, "/echo/search?q=%3CScript%3Ealert(1)&page=2");
        assertThat(bad.status()).isEqualTo(HttpStatus.FORBIDDEN);
        assertThat(reason(bad)).isEqualTo("authz.denied_by_rule");
        assertThat(mesh.httpApp.requests()).isEqualTo(before);

        final AggregatedHttpResponse good = call(HttpMethod.GET, "/echo/search?q=blue+shoes&page=2");
        assertThat(good.status()).isEqualTo(HttpStatus.OK);
        assertThat(mesh.httpApp.requests()).isEqualTo(before + 1);
    }

    /**
     * A stall guard, not a benchmark: {@code ^(a+)+$} against these inputs would take a backtracking engine longer
     * than the universe has existed. The 5 KB value is searched (RE2: linear) and passes; the 1 MB one is over the
     * searched length, counts as a match and is refused.
     */
    @Test
    void pathologicalInputsDoNotStallTheSidecar() {
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            final AggregatedHttpResponse searched =
                    call(HttpMethod.GET, "/echo/x", "x-payload", "a".repeat(5000) + "!");
            assertThat(searched.status()).as(searched.contentUtf8()).isEqualTo(HttpStatus.OK);
            final long before = mesh.httpApp.requests();
            final AggregatedHttpResponse huge =
                    call(HttpMethod.GET, "/echo/x", "x-payload", "a".repeat(1_048_576) + "!");
            assertThat(huge.status()).isEqualTo(HttpStatus.FORBIDDEN);
            assertThat(reason(huge)).isEqualTo("authz.denied_by_rule");
            final AggregatedHttpResponse longQuery = call(HttpMethod.GET, "/echo/x?q=" + "a".repeat(1_048_576) + "%21");
            assertThat(longQuery.status()).isEqualTo(HttpStatus.BAD_REQUEST);
            assertThat(reason(longQuery)).isEqualTo("request.query_too_long");
            assertThat(mesh.httpApp.requests()).isEqualTo(before);
        });
    }

    @Test
    void queryAndHeaderLimitsRefuseBeforeTheApp() throws Exception {
        final long before = mesh.httpApp.requests();
        final AggregatedHttpResponse params = call(HttpMethod.GET, "/echo/x?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9");
        assertThat(params.status()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(reason(params)).isEqualTo("request.too_many_query_params");
        final String[] many = new String[2 * 41];
        for (int i = 0; i < 41; i++) {
            many[2 * i] = "x-h" + i;
            many[2 * i + 1] = "v";
        }
        final AggregatedHttpResponse headers = call(HttpMethod.GET, "/echo/x", many);
        assertThat(headers.status()).isEqualTo(HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE);
        assertThat(reason(headers)).isEqualTo("request.too_many_headers");
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
        assertThat(call(HttpMethod.GET, "/echo/x?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8")
                        .status())
                .isEqualTo(HttpStatus.OK);
    }

    // ---- deprecation (last: it moves the backends' clock past the sunset) ----

    @Test
    @Order(1)
    void aDeprecatedRouteCarriesItsHeadersAndIsCounted() throws Exception {
        final AggregatedHttpResponse res = call(HttpMethod.GET, "/echo/v1/orders");
        assertThat(res.status()).isEqualTo(HttpStatus.OK);
        assertThat(res.headers().get("deprecation")).isEqualTo("@1767225600");
        assertThat(res.headers().get("sunset"))
                .isEqualTo(java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME
                        .withZone(java.time.ZoneOffset.UTC)
                        .format(SUNSET)
                        .replace("+0000", "GMT")
                        .replaceFirst(", (\\d) ", ", 0$1 "));
        assertThat(res.headers().getAll("link"))
                .containsExactly(
                        "<https://docs.example.org/v2>; rel=\"deprecation\"; type=\"text/html\"",
                        "<https://docs.example.org/v2>; rel=\"sunset\"; type=\"text/html\"");
        assertThat(call(HttpMethod.GET, "/echo/v2/orders").headers().get("deprecation"))
                .isNull();
        assertThat(metrics(mesh.backend))
                .containsPattern("trustline_deprecation_calls_total\\{deprecation=\"v1-echo\",peer=\"none\","
                        + "phase=\"deprecated\"\\} [1-9]");
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void afterItsSunsetADeprecatedRouteIsGoneWithoutReachingTheApp() throws Exception {
        clock.advance(Duration.ofMinutes(11));
        final long before = mesh.httpApp.requests();
        final AggregatedHttpResponse res = call(HttpMethod.GET, "/echo/v1/orders");
        assertThat(res.status()).isEqualTo(HttpStatus.GONE);
        assertThat(reason(res)).isEqualTo("deprecation.sunset");
        assertThat(res.headers().get("deprecation")).isEqualTo("@1767225600");
        assertThat(res.headers().get("sunset")).isNotNull();
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
        assertThat(metrics(mesh.backend))
                .containsPattern(
                        "trustline_edge_refusals_total\\{mode=\"enforce\",reason=\"deprecation.sunset\"\\}" + " 1\\.0");
        // A route that is not deprecated is unaffected.
        assertThat(call(HttpMethod.GET, "/echo/v2/orders").status()).isEqualTo(HttpStatus.OK);
    }

    // ---- replay guard ----

    @Test
    void aReplayedSingleUseTokenIsRefused() throws Exception {
        final String token =
                tokens.rs256(b -> b.audience("backend").jwtID(UUID.randomUUID().toString()));
        assertThat(call(HttpMethod.GET, "/echo/once", "authorization", "Bearer " + token)
                        .status())
                .isEqualTo(HttpStatus.OK);
        final long before = mesh.httpApp.requests();
        final AggregatedHttpResponse replay = call(HttpMethod.GET, "/echo/once", "authorization", "Bearer " + token);
        assertThat(replay.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
        assertThat(reason(replay)).isEqualTo("jwt.replayed");
        assertThat(replay.headers().get("www-authenticate")).isEqualTo("Bearer error=\"invalid_token\"");
        assertThat(mesh.httpApp.requests()).isEqualTo(before);

        final String noJti = tokens.rs256(b -> b.audience("backend"));
        final AggregatedHttpResponse missing = call(HttpMethod.GET, "/echo/once", "authorization", "Bearer " + noJti);
        assertThat(missing.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
        assertThat(reason(missing)).isEqualTo("jwt.missing_jti");
    }

    @Test
    void aReplayedSingleUseTokenIsRefusedForGrpcCallers() {
        final Metadata metadata = new Metadata();
        metadata.put(
                Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
                "Bearer "
                        + tokens.rs256(b ->
                                b.audience("backend").jwtID(UUID.randomUUID().toString())));
        final EchoGrpc.EchoBlockingStub stub =
                EchoGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata));
        assertThat(stub.unary(EchoRequest.newBuilder().setMessage("first").build())
                        .getMessage())
                .isEqualTo("first");
        final long before = mesh.grpcApp.calls();
        assertThatThrownBy(() ->
                        stub.unary(EchoRequest.newBuilder().setMessage("again").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                    assertThat(e.getStatus().getDescription()).contains("jwt.replayed");
                });
        assertThat(mesh.grpcApp.calls()).isEqualTo(before);
    }

    // ---- audit mode ----

    @Test
    void anAuditModeReplayGuardLetsTheReplayThroughAndCountsIt() {
        final String token = auditTokens.rs256(b -> b.audience("backend").jwtID("audit-" + UUID.randomUUID()));
        assertThat(call(HttpMethod.GET, "/echo/a", "authorization", "Bearer " + token)
                        .status())
                .isEqualTo(HttpStatus.OK);
        assertThat(call(HttpMethod.GET, "/echo/a", "authorization", "Bearer " + token)
                        .status())
                .isEqualTo(HttpStatus.OK);
        assertThat(metrics(mesh.backend))
                .containsPattern(
                        "trustline_jwt_verifications_total\\{mode=\"audit\",result=\"jwt.replayed\"\\}" + " [1-9]");
    }

    @Test
    void auditModeEdgeChecksLetCallsThroughAndCountThem() {
        // grpc-backend's audit policy: a disallowed origin, too many query parameters, a script in the query and a
        // call after its sunset, all on one gRPC call. Every check runs, none refuses.
        final Metadata metadata = new Metadata();
        metadata.put(Metadata.Key.of("origin", Metadata.ASCII_STRING_MARSHALLER), "https://evil.example.com");
        final String body = EchoGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata))
                .unary(EchoRequest.newBuilder().setMessage("audited").build())
                .getMessage();
        assertThat(body).isEqualTo("audited");
        final String text = metrics(mesh.grpcBackend);
        assertThat(text)
                .containsPattern("trustline_edge_refusals_total\\{mode=\"audit\",reason=\"cors.origin_not_allowed\"\\}"
                        + " [1-9]");
        assertThat(text)
                .containsPattern(
                        "trustline_edge_refusals_total\\{mode=\"audit\",reason=\"deprecation.sunset\"\\}" + " [1-9]");
        // The request metric is recorded when the call's log completes, just after the response.
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .untilAsserted(
                        () -> assertThat(metrics(mesh.grpcBackend))
                                .containsPattern(
                                        "trustline_requests_total\\{decision=\"audit_deny\",[^}]*direction=\"inbound\","
                                                + "[^}]*reason=\"cors.origin_not_allowed\",[^}]*response_code=\"2\\d\\d\"[^}]*\\} [1-9]"));
    }
}
