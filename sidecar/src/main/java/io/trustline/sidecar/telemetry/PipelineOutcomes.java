package io.trustline.sidecar.telemetry;

import com.linecorp.armeria.server.ServiceRequestContext;
import org.jspecify.annotations.Nullable;

/**
 * What the JWT and rate-limit stages report about a call, read from their typed attributes for the span, the access
 * log and the metrics. Those stages are built alongside telemetry; until their attributes exist these readers return
 * null, and wiring a new attribute means changing only this class.
 */
final class PipelineOutcomes {

    /** The rate limit that refused the call, or would have in audit mode; null when none fired. */
    static @Nullable String rateLimit(ServiceRequestContext ctx) {
        return null;
    }

    /**
     * The reason code of an audit-mode JWT requirement or rate limit that would have refused a call that went
     * through (the authorization stage's audit decision is read directly); null when none would have.
     */
    static @Nullable String auditReason(ServiceRequestContext ctx) {
        return null;
    }

    private PipelineOutcomes() {}
}
