package io.trustline.sidecar.request;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.RequestContext;
import io.netty.util.AttributeKey;
import io.trustline.policy.model.Mode;
import io.trustline.sidecar.refusal.ReasonCode;

/**
 * What an edge stage (request limits, CORS, deprecation) refused, or would have refused in audit mode, for the span,
 * the access log and the metrics. Set only when a check fails; the caller learns only the reason code.
 *
 * @param reason the stable reason code, e.g. {@code cors.origin_not_allowed}
 * @param policy the policy whose section decided
 * @param mode {@link Mode#AUDIT} when the request went on anyway
 */
public record EdgeCheck(ReasonCode reason, String policy, Mode mode) {

    /** The failed edge check of the current request, if any. */
    public static final AttributeKey<EdgeCheck> ATTR = AttributeKey.valueOf(EdgeCheck.class, "EDGE_CHECK");

    public EdgeCheck {
        requireNonNull(reason, "reason");
        requireNonNull(policy, "policy");
        requireNonNull(mode, "mode");
    }

    /**
     * Records a failed check on the request: an enforced one always (it ends the request), an audit one only when no
     * earlier check failed, so the span and the log name the first check that would have refused.
     */
    public static void record(RequestContext ctx, EdgeCheck check) {
        if (!check.audited() || ctx.attr(ATTR) == null) {
            ctx.setAttr(ATTR, check);
        }
    }

    /** Whether the request went on despite the failed check. */
    public boolean audited() {
        return mode == Mode.AUDIT;
    }
}
