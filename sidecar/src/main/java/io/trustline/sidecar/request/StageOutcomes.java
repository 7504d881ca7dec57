package io.trustline.sidecar.request;

import com.linecorp.armeria.client.Endpoint;
import io.netty.util.AttributeKey;
import io.trustline.policy.engine.CorsCheck;
import io.trustline.policy.engine.Decision;
import io.trustline.policy.engine.DeprecatedRoute;

/**
 * The typed attributes by which stages report what they decided when the value is not a type of this package (a
 * policy decision, a route name). They live here rather than on the stage that sets them so that telemetry, which
 * reads every one of them, depends on the request context and not on the stages.
 */
public final class StageOutcomes {

    /** The policy decision of the current request (authorization). */
    public static final AttributeKey<Decision> AUTHZ_DECISION =
            AttributeKey.valueOf(StageOutcomes.class, "AUTHZ_DECISION");

    /** The CORS outcome of the current request, when it was a CORS request (preflight or cross-origin). */
    public static final AttributeKey<CorsCheck.Outcome> CORS_OUTCOME =
            AttributeKey.valueOf(StageOutcomes.class, "CORS_OUTCOME");

    /** The deprecated route the current call is on, for the access log and the span. */
    public static final AttributeKey<DeprecatedRoute> DEPRECATED_ROUTE =
            AttributeKey.valueOf(StageOutcomes.class, "DEPRECATED_ROUTE");

    /** The outbound route the current request took, for the access log and the span. */
    public static final AttributeKey<String> OUTBOUND_ROUTE =
            AttributeKey.valueOf(StageOutcomes.class, "OUTBOUND_ROUTE");

    /**
     * The peer endpoint an outbound request was sent to (the last one, were it tried more than once), set on the
     * serving request once the client picked it; for the access log's {@code upstream} and the span's server and
     * peer address. See {@link #upstreamAddress}.
     */
    public static final AttributeKey<Endpoint> UPSTREAM_ENDPOINT =
            AttributeKey.valueOf(StageOutcomes.class, "UPSTREAM_ENDPOINT");

    /** {@code ip:port} of {@code e} ({@code [ip]:port} for IPv6), its host name when it has no resolved address. */
    public static String upstreamAddress(Endpoint e) {
        final String ip = e.ipAddr();
        final String host = ip != null ? ip : e.host();
        return (host.indexOf(':') >= 0 ? '[' + host + ']' : host) + ':' + e.port();
    }

    private StageOutcomes() {}
}
