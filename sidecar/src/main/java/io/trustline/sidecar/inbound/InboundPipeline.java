package io.trustline.sidecar.inbound;

import com.linecorp.armeria.server.HttpService;
import java.util.function.Function;

/**
 * The inbound request path, built in one place. Each stage is one decorator; the order is the security design
 * (see docs/pipeline.md) and is pinned by {@code InboundPipelineTest}:
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

    /** A stage's decorator; {@link Function#identity()} leaves the slot empty. */
    public interface Stage extends Function<HttpService, HttpService> {
        Stage NONE = s -> s;
    }

    /** The stages, outermost first, in the only order they can be assembled. */
    public record Stages(
            Stage telemetry,
            Stage overload,
            Stage peerIdentity,
            Stage hygiene,
            Stage peerRateLimits,
            Stage requestLimits,
            Stage cors,
            Stage jwt,
            Stage authorization,
            Stage deprecation,
            Stage userRateLimits) {}

    /** Builds the inbound chain around {@code proxy}. Armeria decorators wrap inside-out, hence the reverse order. */
    public static HttpService build(HttpService proxy, Stages s) {
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
