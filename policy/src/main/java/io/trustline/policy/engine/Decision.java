package io.trustline.policy.engine;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * The outcome of authorizing one request.
 *
 * @param allowed whether the request may proceed (enforced rules only: audit never changes it)
 * @param reason the stable reason code
 * @param policy the deciding policy's name; null when no rule decided (default deny, no policy)
 * @param rule the deciding rule's name; null when no rule decided
 * @param audit present when the audit-mode rules and policies would change the outcome or one of
 *     them decided: what the engine would decide if they were all enforced. The sidecar logs and
 *     counts it ("would deny by rule X") and lets the enforced decision stand.
 */
public record Decision(
        boolean allowed,
        AuthzReason reason,
        @Nullable String policy,
        @Nullable String rule,
        @Nullable Decision audit) {

    public Decision {
        requireNonNull(reason, "reason");
        if (audit != null && audit.audit() != null) {
            throw new IllegalArgumentException("audit: nested audit decision (expected: one level)");
        }
    }

    static Decision of(boolean allowed, AuthzReason reason, @Nullable String policy, @Nullable String rule) {
        return new Decision(allowed, reason, policy, rule, null);
    }

    /** Whether the audit-mode rules would have denied a request that is allowed. */
    public boolean auditDenied() {
        return audit != null && !audit.allowed();
    }

    Decision withAudit(Decision shadow) {
        return new Decision(allowed, reason, policy, rule, shadow);
    }

    /** {@code "deny authz.denied_by_rule orders-inbound/block-admin"}: for logs and tests. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(allowed ? "allow " : "deny ").append(reason.code());
        if (rule != null) {
            b.append(' ').append(policy).append('/').append(rule);
        }
        if (audit != null) {
            b.append(" (audit: ").append(audit).append(')');
        }
        return b.toString();
    }
}
