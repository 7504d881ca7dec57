package io.trustline.sidecar.pipeline;

import com.linecorp.armeria.server.HttpService;
import io.trustline.sidecar.edge.CorsService;
import io.trustline.sidecar.edge.DeprecationService;
import io.trustline.sidecar.edge.RequestLimitsService;
import io.trustline.sidecar.inbound.AuthorizationService;
import io.trustline.sidecar.inbound.PeerIdentityService;
import io.trustline.sidecar.inbound.RequestHygieneService;
import io.trustline.sidecar.jwt.JwtAuthenticationService;
import io.trustline.sidecar.overload.ConcurrencyLimitingService;
import io.trustline.sidecar.proxy.AppProxyService;
import io.trustline.sidecar.ratelimit.RateLimitService;
import io.trustline.sidecar.ratelimit.RateLimits;
import io.trustline.sidecar.telemetry.TelemetryService;

/**
 * The inbound request path, built in one place. Each stage is one decorator; the order is the security design
 * (see docs/pipeline.md) and is pinned twice: each slot of {@link Stages} has its own type, so the wiring cannot hand
 * a stage to the wrong slot, and {@code InboundPipelineTest} fails if {@link #build} applies two in another order:
 *
 * <ol>
 *   <li>telemetry: tracing and the access log wrap everything, so even an early refusal is a span and a log line;
 *   <li>overload protection: the listener's cap on requests in flight and waiting, before any stage spends work;
 *   <li>peer identity from the mTLS handshake;
 *   <li>request hygiene: limits and path normalisation, before anything looks at the path;
 *   <li>rate limits keyed by peer or IP, before any signature is checked, so a flood cannot burn CPU on JWTs;
 *   <li>request limits from policy (query length and parameters, header count), before anything decodes the query;
 *   <li>CORS: preflights answered here (IP-limited above, never counted against user limits, never reaching JWT or
 *       authorization), cross-origin requests from other origins refused;
 *   <li>JWT authentication (and the token replay guard);
 *   <li>authorization by policy (regex DENY rules included);
 *   <li>deprecations: headers on deprecated routes, 410 after a sunset, only for calls policy allows;
 *   <li>rate limits keyed by the user, which only exist after JWT verification;
 *   <li>the proxy to the app.
 * </ol>
 */
public final class InboundPipeline {

    /** The slot of the rate limits keyed by peer or IP; {@link RateLimitService} serves two slots. */
    public static final class PeerRateLimits {
        private PeerRateLimits() {}
    }

    /** The slot of the rate limits keyed by the verified user. */
    public static final class UserRateLimits {
        private UserRateLimits() {}
    }

    /** The stages, outermost first, one type per slot. */
    public record Stages(
            Stage<TelemetryService> telemetry,
            Stage<ConcurrencyLimitingService> overload,
            Stage<PeerIdentityService> peerIdentity,
            Stage<RequestHygieneService> hygiene,
            Stage<PeerRateLimits> peerRateLimits,
            Stage<RequestLimitsService> requestLimits,
            Stage<CorsService> cors,
            Stage<JwtAuthenticationService> jwt,
            Stage<AuthorizationService> authorization,
            Stage<DeprecationService> deprecation,
            Stage<UserRateLimits> userRateLimits) {}

    /** The rate limits keyed by peer or IP, stage 4. */
    public static Stage<PeerRateLimits> peerRateLimits(RateLimits limits) {
        return Stage.inSlot(RateLimitService.newDecorator(limits, RateLimitService.Phase.PEER));
    }

    /** The rate limits keyed by the verified user, stage 10. */
    public static Stage<UserRateLimits> userRateLimits(RateLimits limits) {
        return Stage.inSlot(RateLimitService.newDecorator(limits, RateLimitService.Phase.USER));
    }

    /** Builds the inbound chain around {@code proxy}. Armeria decorators wrap inside-out, hence the reverse order. */
    public static HttpService build(AppProxyService proxy, Stages s) {
        return build((HttpService) proxy, s);
    }

    static HttpService build(HttpService proxy, Stages s) {
        HttpService chain = proxy; //                  11. forward to the app
        chain = s.userRateLimits().apply(chain); //    10. rate limits keyed by the user
        chain = s.deprecation().apply(chain); //        9. deprecation headers, 410 after a sunset
        chain = s.authorization().apply(chain); //      8. policy decision
        chain = s.jwt().apply(chain); //                7. JWT authentication, replay guard
        chain = s.cors().apply(chain); //               6. CORS preflights and origins
        chain = s.requestLimits().apply(chain); //      5. query and header-count limits
        chain = s.peerRateLimits().apply(chain); //     4. rate limits keyed by peer or IP
        chain = s.hygiene().apply(chain); //            3. limits, path normalisation
        chain = s.peerIdentity().apply(chain); //       2. peer SPIFFE ID from mTLS
        chain = s.overload().apply(chain); //          1a. requests in flight and waiting, 503 beyond
        chain = s.telemetry().apply(chain); //          1. tracing + access log around everything
        return chain;
    }

    private InboundPipeline() {}
}
