package io.trustline.policy.testing;

import io.trustline.policy.engine.Decision;
import io.trustline.policy.path.NormalizedPath;
import org.jspecify.annotations.Nullable;

/**
 * What happened to a case's request: the authorization decision, or an earlier refusal of its
 * path ({@code request.invalid_path}).
 */
public record Outcome(
        boolean allowed,
        String reason,
        @Nullable String policy,
        @Nullable String rule,
        @Nullable Outcome audit) {

    static Outcome of(Decision d) {
        return new Outcome(
                d.allowed(), d.reason().code(), d.policy(), d.rule(), d.audit() == null ? null : of(d.audit()));
    }

    static Outcome rejected(NormalizedPath p) {
        return new Outcome(false, p.reason(), null, null, null);
    }

    @Override
    public String toString() {
        StringBuilder b =
                new StringBuilder(allowed ? "allow" : "deny").append(' ').append(reason);
        if (rule != null) {
            b.append(" by ").append(policy).append('/').append(rule);
        }
        if (audit != null) {
            b.append(" (audit: ").append(audit).append(')');
        }
        return b.toString();
    }
}
