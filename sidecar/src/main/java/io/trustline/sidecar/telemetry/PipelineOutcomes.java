package io.trustline.sidecar.telemetry;

import com.linecorp.armeria.server.ServiceRequestContext;
import io.trustline.policy.engine.CorsCheck;
import io.trustline.policy.engine.DeprecatedRoute;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.request.EdgeCheck;
import io.trustline.sidecar.request.JwtFailure;
import io.trustline.sidecar.request.RateLimitOutcome;
import io.trustline.sidecar.request.StageOutcomes;
import org.jspecify.annotations.Nullable;

/**
 * What the JWT and rate-limit stages report about a call, read from their typed attributes for the span, the access
 * log and the metrics; wiring a new stage's attribute means changing only this class. A verified user is
 * {@code VerifiedToken.ATTR}; a rejected token is the request's refusal (its {@code jwt.*} reason code) plus
 * {@link JwtFailure#ATTR}, which says what failed without any part of the token.
 */
final class PipelineOutcomes {

    /** The rate limit that refused the call, or would have in audit mode; null when none fired. */
    static @Nullable String rateLimit(ServiceRequestContext ctx) {
        final RateLimitOutcome outcome = ctx.attr(RateLimitOutcome.ATTR);
        return outcome != null ? outcome.limit() : null;
    }

    /** Why the call's token was not accepted (enforced or audit), or null. */
    static @Nullable JwtFailure jwtFailure(ServiceRequestContext ctx) {
        return ctx.attr(JwtFailure.ATTR);
    }

    /** The request-limits, CORS or sunset check that refused the call, or would have in audit mode; or null. */
    static @Nullable EdgeCheck edgeCheck(ServiceRequestContext ctx) {
        return ctx.attr(EdgeCheck.ATTR);
    }

    /** The name of the deprecated route the call was on, or null. */
    static @Nullable String deprecation(ServiceRequestContext ctx) {
        final DeprecatedRoute route = ctx.attr(StageOutcomes.DEPRECATED_ROUTE);
        return route != null ? route.name() : null;
    }

    /** {@code cors.preflight} when the sidecar answered the call itself (an allowed CORS preflight), else null. */
    static @Nullable ReasonCode answeredBySidecar(ServiceRequestContext ctx) {
        final CorsCheck.Outcome cors = ctx.attr(StageOutcomes.CORS_OUTCOME);
        return cors == CorsCheck.Outcome.PREFLIGHT_ALLOWED ? ReasonCode.CORS_PREFLIGHT : null;
    }

    /**
     * The reason code of an audit-mode check other than authorization (whose audit decision is read directly) that
     * would have refused a call that went through: request limits, CORS, a JWT requirement (or the replay guard), a
     * rate limit or a sunset, the earliest in the pipeline first; null when none would have.
     */
    static @Nullable ReasonCode auditReason(ServiceRequestContext ctx) {
        final EdgeCheck edge = ctx.attr(EdgeCheck.ATTR);
        if (edge != null && edge.audited() && edge.reason() != ReasonCode.DEPRECATION_SUNSET) {
            return edge.reason();
        }
        final JwtFailure jwt = ctx.attr(JwtFailure.ATTR);
        if (jwt != null && jwt.audited()) {
            return jwt.reason().code();
        }
        if (edge != null && edge.audited()) {
            return edge.reason();
        }
        final RateLimitOutcome outcome = ctx.attr(RateLimitOutcome.ATTR);
        if (outcome == null || outcome.refused()) {
            return null;
        }
        return outcome.reason();
    }

    private PipelineOutcomes() {}
}
