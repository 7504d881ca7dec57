package io.trustline.sidecar.request;

import static java.util.Objects.requireNonNull;

import io.netty.util.AttributeKey;
import io.trustline.sidecar.refusal.ReasonCode;

/**
 * Which limit fired on a request, for the access log, the span and metrics ({@link #ATTR}). Absent when no limit
 * fired.
 *
 * @param limit the limit's name from policy, or {@code penalty:<key>} (e.g. {@code penalty:principal}) for the
 *     penalty box; a name for operators only, never parsed: {@link #kind} says which it is
 * @param kind a limit of the policy or the penalty box
 * @param refused true if the request was refused; false if an audit-mode limit (or penalty box) would have refused
 *     it and it went on
 */
public record RateLimitOutcome(String limit, Kind kind, boolean refused) {

    /** Which limit fired on the current request, if any. */
    public static final AttributeKey<RateLimitOutcome> ATTR = AttributeKey.valueOf(RateLimitOutcome.class, "OUTCOME");

    public RateLimitOutcome {
        requireNonNull(limit, "limit");
        requireNonNull(kind, "kind");
    }

    /** What kind of limit fired, each with its own reason code. */
    public enum Kind {
        /** One of the policy's {@code rateLimits}. */
        LIMIT(ReasonCode.RATELIMIT_EXCEEDED),
        /** The penalty box ({@code spec.penalty}). */
        PENALTY_BOX(ReasonCode.RATELIMIT_PENALTY_BOX);

        private final ReasonCode reason;

        Kind(ReasonCode reason) {
            this.reason = reason;
        }

        /** The reason code of a refusal (or audit-mode would-be refusal) by this kind of limit. */
        public ReasonCode reason() {
            return reason;
        }
    }

    /** The reason code of the refusal, or of the would-be refusal in audit mode. */
    public ReasonCode reason() {
        return kind.reason();
    }
}
