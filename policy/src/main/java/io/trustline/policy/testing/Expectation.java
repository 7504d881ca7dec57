package io.trustline.policy.testing;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a case expects; null fields are not checked.
 *
 * @param allow the expected decision
 * @param reason e.g. {@code authz.denied_by_rule} or {@code request.invalid_path}
 * @param noAudit whether the case expects no audit result at all ({@code audit: none})
 */
public record Expectation(
        boolean allow,
        @Nullable String reason,
        @Nullable String policy,
        @Nullable String rule,
        @Nullable Expectation audit,
        boolean noAudit) {

    /** The differences between this expectation and an outcome, as human lines; empty if met. */
    public List<String> mismatches(Outcome actual) {
        List<String> out = new ArrayList<>();
        compare("", actual, out);
        if (noAudit && actual.audit() != null) {
            out.add("audit: expected none, got " + actual.audit());
        } else if (audit != null) {
            if (actual.audit() == null) {
                out.add("audit: expected " + (audit.allow ? "allow" : "deny") + ", got no audit result");
            } else {
                audit.compare("audit.", actual.audit(), out);
            }
        }
        return out;
    }

    private void compare(String prefix, Outcome actual, List<String> out) {
        if (allow != actual.allowed()) {
            out.add(prefix + "expect: " + (allow ? "allow" : "deny") + ", got "
                    + (actual.allowed() ? "allow" : "deny"));
        }
        if (reason != null && !reason.equals(actual.reason())) {
            out.add(prefix + "reason: expected " + reason + ", got " + actual.reason());
        }
        if (policy != null && !policy.equals(actual.policy())) {
            out.add(prefix + "policy: expected " + policy + ", got " + actual.policy());
        }
        if (rule != null && !rule.equals(actual.rule())) {
            out.add(prefix + "rule: expected " + rule + ", got " + actual.rule());
        }
    }
}
