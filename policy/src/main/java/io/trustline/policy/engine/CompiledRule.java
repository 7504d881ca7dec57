package io.trustline.policy.engine;

import io.trustline.policy.model.Action;
import io.trustline.policy.model.Mode;
import io.trustline.policy.model.Rule;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** A rule compiled for one service: its conditions as an array and its decision pre-built. */
final class CompiledRule {

    /** Position in the service's canonical order (policy name, then file order); lower wins. */
    final int index;

    final String policy;
    final Rule rule;
    final boolean audit;
    final boolean deny;
    /** The decision this rule makes; shared by every request it decides (no allocation). */
    final Decision decision;

    private final Condition[] conditions;
    private final int methodSlots;

    CompiledRule(int index, String policy, Rule rule) {
        this.index = index;
        this.policy = policy;
        this.rule = rule;
        this.audit = rule.mode() == Mode.AUDIT;
        this.deny = rule.action() == Action.DENY;
        this.decision =
                Decision.of(!deny, deny ? AuthzReason.DENIED_BY_RULE : AuthzReason.ALLOWED, policy, rule.name());
        List<Condition> c = Conditions.compile(rule);
        this.conditions = c.toArray(Condition[]::new);
        int slots = Methods.ALL_SLOTS;
        for (Condition x : conditions) {
            if (x instanceof Conditions.MethodSet m) {
                slots &= m.slots();
            }
        }
        this.methodSlots = slots;
    }

    boolean matches(AuthzRequest r) {
        for (Condition c : conditions) {
            if (!c.test(r)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the rule would match if the request carried whatever token it needs. */
    boolean matchesIgnoringToken(AuthzRequest r) {
        for (Condition c : conditions) {
            if (!c.needsToken() && !c.test(r)) {
                return false;
            }
        }
        return true;
    }

    boolean needsToken() {
        for (Condition c : conditions) {
            if (c.needsToken()) {
                return true;
            }
        }
        return false;
    }

    /** The first condition that fails, described; null if the rule matches. */
    @Nullable
    String firstFailure(AuthzRequest r) {
        for (Condition c : conditions) {
            if (!c.test(r)) {
                return c.describeFailure(r);
            }
        }
        return null;
    }

    /** The method slots ({@link Methods}) a matching request can be in. */
    int methodSlots() {
        return methodSlots;
    }

    @Override
    public String toString() {
        return policy + "/" + rule.name();
    }
}
