package io.trustline.policy.lint;

import static java.util.Objects.requireNonNull;

import io.trustline.policy.model.Origin;

/**
 * One lint finding: valid policy that is probably not what its author meant. Rendered as {@code file:line:column:
 * warning: message [code]}, like the loader's errors, so editors and CI logs can jump to it.
 *
 * @param code what kind of finding
 * @param origin the rule or policy it concerns
 * @param message what is wrong and why, naming the rule and the values
 */
public record LintWarning(LintCode code, Origin origin, String message) implements Comparable<LintWarning> {

    public LintWarning {
        requireNonNull(code, "code");
        requireNonNull(origin, "origin");
        requireNonNull(message, "message");
    }

    @Override
    public int compareTo(LintWarning o) {
        int c = origin.file().compareTo(o.origin.file());
        if (c == 0) {
            c = Integer.compare(origin.line(), o.origin.line());
        }
        if (c == 0) {
            c = Integer.compare(origin.column(), o.origin.column());
        }
        return c != 0 ? c : code.compareTo(o.code);
    }

    @Override
    public String toString() {
        return origin + ": warning: " + message + " [" + code.code() + "]";
    }
}
