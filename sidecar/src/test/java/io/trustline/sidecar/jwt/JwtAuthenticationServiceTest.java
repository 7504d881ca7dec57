package io.trustline.sidecar.jwt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.trustline.ca.testing.MutableClock;
import io.trustline.policy.PolicyParser;
import io.trustline.policy.engine.PolicyEngine;
import io.trustline.policy.path.PathNormalizer;
import io.trustline.sidecar.proxy.ProxyHeaders;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.refusal.Refusals;
import io.trustline.sidecar.request.HeaderEdits;
import io.trustline.sidecar.request.InboundRequest;
import io.trustline.sidecar.request.JwtFailure;
import io.trustline.sidecar.request.JwtReason;
import io.trustline.sidecar.request.VerifiedToken;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Date;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pipeline stage around the authenticator: what it puts on the request, and what it lets through. */
class JwtAuthenticationServiceTest {

    static final MutableClock clock = MutableClock.startingNow();
    static TestTokens tokens;

    @TempDir
    Path dir;

    JwtAuthenticator authenticator;
    final AtomicBoolean reached = new AtomicBoolean();

    @BeforeAll
    static void keys() {
        tokens = new TestTokens("https://issuer.test", "s", clock);
    }

    @AfterEach
    void close() {
        authenticator.close();
    }

    private JwtAuthenticationService stage(String issuerExtra) throws Exception {
        final Path jwks = Files.writeString(dir.resolve("jwks.json"), tokens.jwks());
        final String yaml = "apiVersion: trustline.io/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n"
                + "  service: backend\n  jwt:\n    - issuer: https://issuer.test\n      audiences: [backend]\n"
                + "      jwksFile: " + jwks + "\n" + issuerExtra;
        final PolicyEngine engine = PolicyEngine.compile(PolicyParser.parse("p.yaml", yaml, dir), "v");
        authenticator = JwtAuthenticator.builder(() -> engine.forService("backend"), "backend")
                .clock(clock)
                .build();
        await().atMost(Duration.ofSeconds(10)).until(authenticator::ready);
        return new JwtAuthenticationService(
                (ctx, req) -> {
                    reached.set(true);
                    return HttpResponse.of(HttpStatus.OK);
                },
                authenticator);
    }

    private static ServiceRequestContext ctx(RequestHeaders headers) {
        final ServiceRequestContext ctx =
                ServiceRequestContext.builder(HttpRequest.of(headers)).build();
        InboundRequest.put(ctx, new InboundRequest(PathNormalizer.normalize(headers.path())));
        return ctx;
    }

    private static RequestHeaders get(String path, String... nameValues) {
        final var b = RequestHeaders.builder(HttpMethod.GET, path);
        for (int i = 0; i < nameValues.length; i += 2) {
            b.add(nameValues[i], nameValues[i + 1]);
        }
        return b.build();
    }

    private static AggregatedHttpResponse serve(JwtAuthenticationService s, ServiceRequestContext ctx)
            throws Exception {
        return s.serve(ctx, ctx.request()).aggregate().join();
    }

    /** The headers the proxy would send the app. */
    private static RequestHeaders toApp(ServiceRequestContext ctx) {
        return ProxyHeaders.toApp(
                ctx.request().headers(),
                InboundRequest.of(ctx).path().pathAndQuery(),
                null,
                "127.0.0.1",
                true,
                ctx.attr(HeaderEdits.ATTR));
    }

    @Test
    void anInvalidTokenIs401WithTheChallengeAndNeverReachesTheApp() throws Exception {
        final JwtAuthenticationService s = stage("");
        final ServiceRequestContext ctx = ctx(get("/x", "authorization", "Bearer " + tokens.tampered()));
        final AggregatedHttpResponse res = serve(s, ctx);
        assertThat(res.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
        assertThat(res.headers().get(HttpHeaderNames.WWW_AUTHENTICATE)).isEqualTo("Bearer error=\"invalid_token\"");
        assertThat(res.contentUtf8())
                .contains("\"reason\":\"jwt.bad_signature\"")
                .doesNotContain("kid");
        assertThat(reached).isFalse();
        assertThat(ctx.attr(JwtFailure.ATTR).reason()).isEqualTo(JwtReason.BAD_SIGNATURE);
        assertThat(ctx.attr(JwtFailure.ATTR).detail()).contains("rsa-s");
        assertThat(ctx.attr(Refusals.REFUSAL).reason()).isEqualTo(ReasonCode.JWT_BAD_SIGNATURE);
        assertThat(ctx.attr(VerifiedToken.ATTR)).isNull();
    }

    @Test
    void aValidTokenSetsTheUserAndTheClaimHeadersAfterRemovingSpoofedOnes() throws Exception {
        final JwtAuthenticationService s = stage("      claimsToHeaders: {sub: x-user-id, tenant: x-tenant}\n");
        final String token = tokens.es256();
        final ServiceRequestContext ctx =
                ctx(get("/x", "authorization", "Bearer " + token, "x-user-id", "admin", "x-tenant", "evil"));
        assertThat(serve(s, ctx).status()).isEqualTo(HttpStatus.OK);
        assertThat(ctx.attr(VerifiedToken.ATTR).requestPrincipal()).isEqualTo("https://issuer.test/alice");
        final RequestHeaders app = toApp(ctx);
        assertThat(app.getAll("x-user-id")).containsExactly("alice");
        assertThat(app.getAll("x-tenant")).containsExactly("acme");
        assertThat(app.get(HttpHeaderNames.AUTHORIZATION)).isEqualTo("Bearer " + token);
    }

    @Test
    void spoofedClaimHeadersAreRemovedEvenWithoutAToken() throws Exception {
        final JwtAuthenticationService s = stage("      claimsToHeaders: {sub: x-user-id}\n");
        final ServiceRequestContext ctx = ctx(get("/x", "x-user-id", "admin"));
        assertThat(serve(s, ctx).status()).isEqualTo(HttpStatus.OK);
        assertThat(ctx.attr(VerifiedToken.ATTR)).isNull();
        assertThat(toApp(ctx).contains("x-user-id")).isFalse();
    }

    @Test
    void forwardTokenFalseWithholdsTheTokenFromHeaderOrQuery() throws Exception {
        final JwtAuthenticationService s = stage("      forwardToken: false\n      fromQuery: access_token\n");
        final ServiceRequestContext header = ctx(get("/x", "authorization", "Bearer " + tokens.rs256()));
        assertThat(serve(s, header).status()).isEqualTo(HttpStatus.OK);
        assertThat(toApp(header).contains(HttpHeaderNames.AUTHORIZATION)).isFalse();

        final ServiceRequestContext query = ctx(get("/x?a=1&access_token=" + tokens.rs256() + "&b=2"));
        assertThat(serve(s, query).status()).isEqualTo(HttpStatus.OK);
        assertThat(query.attr(VerifiedToken.ATTR)).isNotNull();
        assertThat(toApp(query).path()).isEqualTo("/x?a=1&b=2");
    }

    @Test
    void auditModeRecordsTheWouldBeRejectionAndGoesOnWithoutAUser() throws Exception {
        final JwtAuthenticationService s = stage("      mode: audit\n");
        final String expired = tokens.rs256(b -> b.expirationTime(new Date(clock.millis() - 3_600_000)));
        final ServiceRequestContext ctx = ctx(get("/x", "authorization", "Bearer " + expired));
        assertThat(serve(s, ctx).status()).isEqualTo(HttpStatus.OK);
        assertThat(reached).isTrue();
        final JwtFailure failure = ctx.attr(JwtFailure.ATTR);
        assertThat(failure.reason()).isEqualTo(JwtReason.EXPIRED);
        assertThat(failure.audited()).isTrue();
        assertThat(failure.issuer()).isEqualTo("https://issuer.test");
        assertThat(ctx.attr(VerifiedToken.ATTR))
                .as("a bad token never yields a user")
                .isNull();
    }

    @Test
    void requiredTrueRefusesACallWithoutATokenWithTheBareChallenge() throws Exception {
        final JwtAuthenticationService s = stage("      required: true\n");
        final ServiceRequestContext ctx = ctx(get("/x"));
        final AggregatedHttpResponse res = serve(s, ctx);
        assertThat(res.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
        assertThat(res.headers().get(HttpHeaderNames.WWW_AUTHENTICATE)).isEqualTo("Bearer");
        assertThat(res.contentUtf8()).contains("\"reason\":\"jwt.missing\"");
        assertThat(reached).isFalse();
    }

    @Test
    void withoutRequiredAMissingTokenIsForPolicyToJudge() throws Exception {
        final JwtAuthenticationService s = stage("");
        final ServiceRequestContext ctx = ctx(get("/x"));
        assertThat(serve(s, ctx).status()).isEqualTo(HttpStatus.OK);
        assertThat(ctx.attr(JwtFailure.ATTR)).isNull();
        assertThat(ctx.attr(VerifiedToken.ATTR)).isNull();
    }

    @Test
    void grpcCallersGetUnauthenticatedTrailers() throws Exception {
        final JwtAuthenticationService s = stage("");
        final ServiceRequestContext ctx = ctx(RequestHeaders.builder(HttpMethod.POST, "/pkg.Svc/Call")
                .contentType(com.linecorp.armeria.common.MediaType.parse("application/grpc"))
                .add("authorization", "Bearer " + tokens.unsigned())
                .build());
        final AggregatedHttpResponse res = serve(s, ctx);
        assertThat(res.headers().get("grpc-status")).isEqualTo("16");
        assertThat(res.headers().get("x-trustline-reason")).isEqualTo("jwt.alg_not_allowed");
    }
}
