package io.trustline.policy.testing;

import static java.util.Objects.requireNonNull;

import io.trustline.policy.engine.Decision;
import io.trustline.policy.path.NormalizedPath;
import org.jspecify.annotations.Nullable;

/**
 * What happened to a case's request: the authorization decision, or the stage that refused it
 * first ({@code request.invalid_path}, {@code request.*} limits, {@code cors.*}), an answered
 * preflight ({@code cors.preflight}), or a refusal after a sunset ({@code deprecation.sunset}, with
 * the deprecation's name as the rule).
 */
public record Outcome(
        boolean allowed,
        String reason,
        @Nullable String policy,
        @Nullable String rule,
        @Nullable Outcome audit) {

    /** The outcome of an authorization decision, without its audit part. */
    static Outcome of(Decision d) {
        return new Outcome(d.allowed(), d.reason().code(), d.policy(), d.rule(), null);
    }

    Outcome withAudit(@org.jspecify.annotations.Nullable Outcome audit) {
        return new Outcome(allowed, reason, policy, rule, audit);
    }

    static Outcome rejected(NormalizedPath p) {
        return new Outcome(false, requireNonNull(p.reason(), "reason of a rejected path"), null, null, null);
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
