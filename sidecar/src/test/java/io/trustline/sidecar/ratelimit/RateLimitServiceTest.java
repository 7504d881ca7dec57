package io.trustline.sidecar.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import io.trustline.ca.SpiffeId;
import io.trustline.policy.engine.PolicyEngine;
import io.trustline.sidecar.identity.PeerIdentity;
import io.trustline.sidecar.inbound.RequestHygieneService;
import io.trustline.sidecar.ratelimit.RateLimitService.Phase;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalErrorHandler;
import io.trustline.sidecar.refusal.RefusalException;
import io.trustline.sidecar.refusal.RefusalKind;
import io.trustline.sidecar.refusal.Refusals;
import io.trustline.sidecar.request.VerifiedToken;
import io.trustline.sidecar.testing.FakeTicker;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Both rate-limit stages in a real Armeria server, between stand-ins for the stages around them: the peer comes from
 * {@code x-test-peer}, the "JWT/authorization" stand-in refuses with 401 ({@code x-test-authn}) or 403
 * ({@code x-test-authz}) or verifies user {@code x-test-user}, and the app answers with {@code x-test-app-status}.
 */
class RateLimitServiceTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final FakeTicker ticker = new FakeTicker();
    private static final AtomicReference<PolicyEngine> policy = new AtomicReference<>(PolicyEngine.empty());
    private static final RateLimits limits = RateLimits.builder(
                    () -> policy.get().forService(Requests.SERVICE), Requests.SERVICE)
            .ticker(ticker)
            .executor(Runnable::run)
            .build();

    @RegisterExtension
    static final ServerExtension server = new ServerExtension() {
        @Override
        protected void configure(ServerBuilder sb) {
            HttpService chain = (ctx, req) -> {
                final String grpcStatus = req.headers().get("x-test-grpc-status");
                if (grpcStatus != null) {
                    return HttpResponse.of(ResponseHeaders.builder(HttpStatus.OK)
                            .contentType(MediaType.parse("application/grpc"))
                            .add("grpc-status", grpcStatus)
                            .endOfStream(true)
                            .build());
                }
                final String status = req.headers().get("x-test-app-status", "200");
                return HttpResponse.of(HttpStatus.valueOf(Integer.parseInt(status)), MediaType.PLAIN_TEXT, "app");
            };
            chain = RateLimitService.newDecorator(limits, Phase.USER).apply(chain);
            chain = authStandIn().apply(chain);
            chain = RateLimitService.newDecorator(limits, Phase.PEER).apply(chain);
            chain = RequestHygieneService.newDecorator(
                            0,
                            io.trustline.sidecar.config.HygieneConfig.DEFAULT,
                            new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                    .apply(chain);
            chain = peerStandIn().apply(chain);
            sb.serviceUnder("/", chain);
            sb.errorHandler(new RefusalErrorHandler());
        }
    };

    private static Function<HttpService, HttpService> peerStandIn() {
        return delegate -> new SimpleDecoratingHttpService(delegate) {
            @Override
            public HttpResponse serve(
                    com.linecorp.armeria.server.ServiceRequestContext ctx, com.linecorp.armeria.common.HttpRequest req)
                    throws Exception {
                final String peer = req.headers().get("x-test-peer");
                if (peer != null) {
                    ctx.setAttr(PeerIdentity.ATTR, new PeerIdentity(SpiffeId.parse(peer), "00", "x"));
                }
                return unwrap().serve(ctx, req);
            }
        };
    }

    private static Function<HttpService, HttpService> authStandIn() {
        return delegate -> new SimpleDecoratingHttpService(delegate) {
            @Override
            public HttpResponse serve(
                    com.linecorp.armeria.server.ServiceRequestContext ctx, com.linecorp.armeria.common.HttpRequest req)
                    throws Exception {
                final String user = req.headers().get("x-test-user");
                if (user != null) {
                    ctx.setAttr(
                            VerifiedToken.ATTR,
                            new VerifiedToken("https://auth", user, "https://auth/" + user, Map.of(), Instant.MAX));
                }
                if (req.headers().contains("x-test-authn")) {
                    return Refusals.respond(
                            ctx, req.headers(), Refusal.of(RefusalKind.UNAUTHENTICATED, ReasonCode.JWT_BAD_SIGNATURE));
                }
                if (req.headers().contains("x-test-authn-async")) {
                    // A stage that fails its response instead of answering: the error handler renders the refusal.
                    throw new RefusalException(Refusal.of(RefusalKind.UNAUTHENTICATED, ReasonCode.JWT_BAD_SIGNATURE));
                }
                if (req.headers().contains("x-test-authz")) {
                    return Refusals.respond(
                            ctx, req.headers(), Refusal.of(RefusalKind.FORBIDDEN, ReasonCode.AUTHZ_NO_ALLOW_MATCH));
                }
                return unwrap().serve(ctx, req);
            }
        };
    }

    private static AggregatedHttpResponse call(String peer, String... headers) {
        final RequestHeadersBuilder b =
                RequestHeaders.builder(HttpMethod.GET, "/api/x").add("x-test-peer", peer);
        for (int i = 0; i < headers.length; i += 2) {
            b.add(headers[i], headers[i + 1]);
        }
        return WebClient.of(server.httpUri()).execute(b.build()).aggregate().join();
    }

    private static AggregatedHttpResponse grpcCall(String peer, String... headers) {
        final RequestHeadersBuilder b = RequestHeaders.builder(HttpMethod.POST, "/shop.v1.Orders/Get")
                .contentType(MediaType.parse("application/grpc"))
                .add("x-test-peer", peer);
        for (int i = 0; i < headers.length; i += 2) {
            b.add(headers[i], headers[i + 1]);
        }
        return WebClient.of(server.httpUri()).execute(b.build()).aggregate().join();
    }

    private static String peer(String name) {
        return "spiffe://example.org/ns/shop/sa/" + name;
    }

    @Test
    void allowedResponsesCarryTheHeadersAndRefusalsAre429WithTheJsonBody() throws Exception {
        policy.set(Requests.engine("  rateLimits:\n    - {name: per-caller, key: principal, rate: 30/m, burst: 2}\n"));
        final String caller = peer("http-caller");
        final AggregatedHttpResponse ok = call(caller);
        assertThat(ok.status()).isEqualTo(HttpStatus.OK);
        assertThat(ok.headers().get("ratelimit-limit")).isEqualTo("2");
        assertThat(ok.headers().get("ratelimit-remaining")).isEqualTo("1");
        assertThat(ok.headers().get("ratelimit-reset")).isEqualTo("2");
        assertThat(call(caller).status()).isEqualTo(HttpStatus.OK);

        final AggregatedHttpResponse refused = call(caller);
        assertThat(refused.status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
        assertThat(refused.headers().get("ratelimit-limit")).isEqualTo("2");
        assertThat(refused.headers().get("ratelimit-remaining")).isEqualTo("0");
        assertThat(refused.headers().get("ratelimit-reset")).isEqualTo("4");
        assertThat(refused.headers().get("retry-after")).isEqualTo("2");
        assertThat(refused.headers().getAll("ratelimit-limit")).hasSize(1);
        final var body = JSON.readTree(refused.contentUtf8());
        assertThat(body.get("reason").asText()).isEqualTo("ratelimit.exceeded");
        assertThat(body.get("error").asText()).isEqualTo("rate limited");
        assertThat(refused.contentUtf8()).doesNotContain("per-caller"); // the limit's name is for the log only
        // The app's own error responses carry the headers too.
        assertThat(call(peer("other"), "x-test-app-status", "500").headers().get("ratelimit-limit"))
                .isEqualTo("2");
    }

    @Test
    void grpcCallersGetResourceExhaustedTrailersOnlyWithTheSameMetadata() {
        policy.set(Requests.engine("  rateLimits:\n    - {name: per-caller, key: principal, rate: 1/m, burst: 1}\n"));
        final String caller = peer("grpc-caller");
        assertThat(grpcCall(caller, "x-test-grpc-status", "0").headers().get("ratelimit-remaining"))
                .isEqualTo("0");
        final AggregatedHttpResponse refused = grpcCall(caller);
        assertThat(refused.status()).isEqualTo(HttpStatus.OK);
        assertThat(refused.headers().get("grpc-status")).isEqualTo("8"); // RESOURCE_EXHAUSTED, never UNAVAILABLE
        assertThat(refused.headers().get("x-trustline-reason")).isEqualTo("ratelimit.exceeded");
        assertThat(refused.headers().get("ratelimit-limit")).isEqualTo("1");
        assertThat(refused.headers().get("ratelimit-remaining")).isEqualTo("0");
        assertThat(refused.headers().get("retry-after")).isEqualTo("60");
        assertThat(refused.content().isEmpty()).isTrue();
        assertThat(refused.trailers().isEmpty()).isTrue();
    }

    @Test
    void repeatedAuthenticationFailuresPutThePeerInThePenaltyBoxUntilItExpires() throws Exception {
        policy.set(Requests.engine("  penalty: {threshold: 3, window: 1m, duration: 5m}\n"));
        final String prober = peer("prober");
        // Sidecar refusals (401 answered, 401 thrown and rendered by the error handler, 403) all count.
        assertThat(call(prober, "x-test-authn", "1").status()).isEqualTo(HttpStatus.UNAUTHORIZED);
        assertThat(call(prober, "x-test-authn-async", "1").status()).isEqualTo(HttpStatus.UNAUTHORIZED);
        assertThat(call(prober, "x-test-authz", "1").status()).isEqualTo(HttpStatus.FORBIDDEN);
        // Counting happens once each response's headers are known; the fourth call may race the third's count.
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() -> limits.penaltyBox().isBoxed(prober, ticker.read()));

        final AggregatedHttpResponse boxed = call(prober);
        assertThat(boxed.status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
        assertThat(JSON.readTree(boxed.contentUtf8()).get("reason").asText()).isEqualTo("ratelimit.penalty_box");
        assertThat(boxed.headers().get("retry-after")).isEqualTo("300");
        assertThat(call(peer("innocent")).status()).isEqualTo(HttpStatus.OK);

        ticker.advance(Duration.ofMinutes(5));
        assertThat(call(prober).status()).isEqualTo(HttpStatus.OK);
    }

    @Test
    void theAppsOwnFailuresCountButOtherErrorsDoNot() {
        policy.set(Requests.engine("  penalty: {threshold: 2, window: 1m, duration: 5m, failures: [authz]}\n"));
        final String caller = peer("app-prober");
        call(caller, "x-test-app-status", "404");
        call(caller, "x-test-app-status", "500");
        call(caller, "x-test-authn", "1"); // authn does not count for this box
        grpcCall(caller, "x-test-grpc-status", "16");
        assertThat(call(caller).status()).isEqualTo(HttpStatus.OK);
        call(caller, "x-test-app-status", "403");
        grpcCall(caller, "x-test-grpc-status", "7"); // PERMISSION_DENIED, trailers-only
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() -> limits.penaltyBox().isBoxed(caller, ticker.read()));
        assertThat(grpcCall(caller).headers().get("grpc-status")).isEqualTo("8");
    }

    @Test
    void aUserKeyedPenaltyBoxesTheUserNotThePeer() {
        policy.set(Requests.engine("  penalty: {key: requestPrincipal, threshold: 2, window: 1m, duration: 5m}\n"));
        final String gateway = peer("gateway");
        call(gateway, "x-test-user", "mallory", "x-test-authz", "1");
        call(gateway, "x-test-user", "mallory", "x-test-authz", "1");
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() -> limits.penaltyBox().isBoxed("https://auth/mallory", ticker.read()));
        assertThat(call(gateway, "x-test-user", "mallory").status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
        assertThat(call(gateway, "x-test-user", "alice").status()).isEqualTo(HttpStatus.OK);
        assertThat(call(gateway).status()).isEqualTo(HttpStatus.OK);
    }
}
