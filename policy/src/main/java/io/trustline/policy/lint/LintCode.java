package io.trustline.policy.lint;

/**
 * What a lint warning is about: a closed set of stable codes, printed as {@code [code]} after the message so that
 * scripts and people can grep for one kind.
 */
public enum LintCode {
    /** A rule whose conditions contradict each other: no request can match it. */
    UNSATISFIABLE_RULE("lint.unsatisfiable_rule"),
    /** An ALLOW rule that never decides: an enforced DENY rule of the same service matches every request it does. */
    SHADOWED_RULE("lint.shadowed_rule"),
    /** A policy for a service that is not among the known services ({@code check --services}). */
    UNKNOWN_SERVICE("lint.unknown_service"),
    /** A principal pattern that can only match SPIFFE IDs of another trust domain than the mesh's. */
    FOREIGN_TRUST_DOMAIN("lint.foreign_trust_domain");

    private final String code;

    LintCode(String code) {
        this.code = code;
    }

    /** The stable code, e.g. {@code lint.shadowed_rule}. */
    public String code() {
        return code;
    }

    @Override
    public String toString() {
        return code;
    }
}
