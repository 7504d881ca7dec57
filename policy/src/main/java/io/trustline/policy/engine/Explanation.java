package io.trustline.policy.engine;

import static java.util.Objects.requireNonNull;

import io.trustline.policy.model.Action;
import io.trustline.policy.model.Mode;
import io.trustline.policy.model.Origin;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Why a request got its decision: the decision itself and, for every rule of the service in
 * evaluation order, whether it matched or which condition failed first.
 */
public record Explanation(AuthzRequest request, Decision decision, List<RuleResult> rules) {

    public Explanation {
        requireNonNull(request, "request");
        requireNonNull(decision, "decision");
        rules = List.copyOf(rules);
    }

    /**
     * One rule's result.
     *
     * @param failure the first failed condition, e.g. {@code "to.paths: '/admin/x' matched none of
     *     [/api/*]"}; null when the rule matched
     * @param decided whether this rule made the enforced decision
     * @param decidedAudit whether this rule made the audit decision
     */
    public record RuleResult(
            String policy,
            String rule,
            Action action,
            Mode mode,
            Origin origin,
            boolean matched,
            @Nullable String failure,
            boolean decided,
            boolean decidedAudit) {}

    /** A human-readable report, as {@code trustline-policy explain} prints it. */
    public String render() {
        StringBuilder b = new StringBuilder();
        b.append("decision: ")
                .append(decision.allowed() ? "allow" : "deny")
                .append(" (")
                .append(decision.reason().code())
                .append(")\n");
        if (decision.rule() != null) {
            RuleResult d =
                    rules.stream().filter(RuleResult::decided).findFirst().orElse(null);
            b.append("deciding rule: ").append(decision.policy()).append('/').append(decision.rule());
            if (d != null) {
                b.append(" (").append(d.origin()).append(')');
            }
            b.append('\n');
        }
        Decision audit = decision.audit();
        if (audit != null) {
            b.append("audit: would ")
                    .append(audit.allowed() ? "allow" : "deny")
                    .append(" (")
                    .append(audit.reason().code())
                    .append(')');
            if (audit.rule() != null) {
                b.append(" by ").append(audit.policy()).append('/').append(audit.rule());
            }
            b.append('\n');
        }
        if (rules.isEmpty()) {
            b.append("rules: none for service '").append(request.service()).append("'\n");
            return b.toString();
        }
        b.append("rules:\n");
        for (RuleResult r : rules) {
            b.append("  ")
                    .append(r.decided() ? "* " : "  ")
                    .append(r.action() == Action.ALLOW ? "allow " : "deny  ")
                    .append(r.policy())
                    .append('/')
                    .append(r.rule());
            if (r.mode() == Mode.AUDIT) {
                b.append(" [audit]");
            }
            b.append(": ").append(r.matched() ? "matched" : r.failure()).append('\n');
        }
        return b.toString();
    }
}
