package io.trustline.policy.engine;

import io.trustline.policy.model.Mode;
import io.trustline.policy.model.Policy;
import io.trustline.policy.model.Rule;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The compiled rules of one service, the evaluator behind {@link ServicePolicy#decide}. Two rule sets are indexed: the enforced rules, which make
 * the decision, and (only when some rule is in audit mode) all rules, which make the audit
 * decision: what would happen if every audit rule and policy were enforced.
 */
final class ServiceEngine {

    private final List<CompiledRule> all;
    private final boolean enforced;
    private final PathIndex deny;
    private final PathIndex allow;
    private final @Nullable PathIndex shadowDeny;
    private final @Nullable PathIndex shadowAllow;
    private final Decision noPolicy;
    private final Decision noAllowMatch;
    private final Decision tokenRequired;

    ServiceEngine(List<Policy> policies) {
        List<CompiledRule> rules = new ArrayList<>();
        for (Policy p : policies) {
            for (Rule r : p.rules()) {
                rules.add(new CompiledRule(rules.size(), p.name(), r));
            }
        }
        this.all = List.copyOf(rules);
        this.enforced = policies.stream().anyMatch(p -> p.mode() == Mode.ENFORCE);
        this.deny =
                PathIndex.build(rules.stream().filter(r -> r.deny && !r.audit).toList());
        this.allow =
                PathIndex.build(rules.stream().filter(r -> !r.deny && !r.audit).toList());
        boolean anyAudit = rules.stream().anyMatch(r -> r.audit);
        this.shadowDeny =
                anyAudit ? PathIndex.build(rules.stream().filter(r -> r.deny).toList()) : null;
        this.shadowAllow =
                anyAudit ? PathIndex.build(rules.stream().filter(r -> !r.deny).toList()) : null;
        this.noPolicy = Decision.of(false, AuthzReason.NO_POLICY, null, null);
        this.noAllowMatch = Decision.of(false, AuthzReason.NO_ALLOW_MATCH, null, null);
        this.tokenRequired = Decision.of(false, AuthzReason.TOKEN_REQUIRED, null, null);
    }

    Decision decide(AuthzRequest r) {
        Decision enforcedDecision = enforced ? evaluate(deny, allow, r) : noPolicy;
        if (shadowDeny == null || shadowAllow == null) {
            return enforcedDecision;
        }
        CompiledRule s = shadowDeny.first(r, false);
        if (s == null) {
            s = shadowAllow.first(r, false);
        }
        Decision shadow = s != null ? s.decision : noMatch(shadowAllow, r);
        if (shadow.allowed() == enforcedDecision.allowed() && (s == null || !s.audit)) {
            return enforcedDecision;
        }
        return enforcedDecision.withAudit(shadow);
    }

    private Decision evaluate(PathIndex denyRules, PathIndex allowRules, AuthzRequest r) {
        CompiledRule m = denyRules.first(r, false);
        if (m == null) {
            m = allowRules.first(r, false);
        }
        return m != null ? m.decision : noMatch(allowRules, r);
    }

    private Decision noMatch(PathIndex allowRules, AuthzRequest r) {
        if (r.requestPrincipal() == null && allowRules.anyNeedsToken() && allowRules.first(r, true) != null) {
            return tokenRequired;
        }
        return noAllowMatch;
    }

    Explanation explain(AuthzRequest r) {
        Decision d = decide(r);
        List<Explanation.RuleResult> results = new ArrayList<>(all.size());
        for (CompiledRule c : all) {
            String failure = c.firstFailure(r);
            boolean decided = d.rule() != null
                    && c.policy.equals(d.policy())
                    && c.rule.name().equals(d.rule());
            Decision a = d.audit();
            boolean decidedAudit = a != null
                    && a.rule() != null
                    && c.policy.equals(a.policy())
                    && c.rule.name().equals(a.rule());
            results.add(new Explanation.RuleResult(
                    c.policy,
                    c.rule.name(),
                    c.rule.action(),
                    c.rule.mode(),
                    c.rule.origin(),
                    failure == null,
                    failure,
                    decided,
                    decidedAudit));
        }
        return new Explanation(r, d, results);
    }
}
