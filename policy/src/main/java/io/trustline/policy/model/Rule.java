package io.trustline.policy.model;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One authorization rule. {@code from}, {@code to} and every {@code when} condition must all hold
 * for the rule to match; a rule with none of them matches every request of its service.
 *
 * @param name unique within its policy; reported as the deciding rule
 * @param mode the effective mode: {@code AUDIT} if the rule or its policy is in audit mode
 */
public record Rule(
        String name, Action action, Mode mode, Source from, Target to, List<ClaimCondition> when, Origin origin) {

    public Rule {
        requireNonNull(name, "name");
        requireNonNull(action, "action");
        requireNonNull(mode, "mode");
        requireNonNull(from, "from");
        requireNonNull(to, "to");
        when = List.copyOf(when);
        requireNonNull(origin, "origin");
    }

    public static Rule of(String name, Action action, Source from, Target to, ClaimCondition... when) {
        return new Rule(name, action, Mode.ENFORCE, from, to, List.of(when), Origin.PROGRAMMATIC);
    }

    public Rule withMode(Mode mode) {
        return new Rule(name, action, mode, from, to, when, origin);
    }

    /**
     * Whether this rule can only match a request that carries a verified JWT: it lists {@code
     * requestPrincipals} or claim conditions.
     */
    public boolean needsToken() {
        return !from.requestPrincipals().isEmpty() || !when.isEmpty();
    }
}
