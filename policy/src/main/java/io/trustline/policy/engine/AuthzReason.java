package io.trustline.policy.engine;

/** The stable reason codes of authorization decisions; {@link #code()} is what callers and logs see. */
public enum AuthzReason {
    /** An ALLOW rule matched and no DENY rule did. */
    ALLOWED("authz.allowed"),
    /** A DENY rule matched. */
    DENIED_BY_RULE("authz.denied_by_rule"),
    /** No DENY rule and no ALLOW rule matched: the default deny. */
    NO_ALLOW_MATCH("authz.no_allow_match"),
    /**
     * Like {@link #NO_ALLOW_MATCH}, but the request had no verified JWT and an ALLOW rule would
     * have matched apart from its token conditions ({@code requestPrincipals}, {@code when}): the
     * caller should send a token.
     */
    TOKEN_REQUIRED("authz.token_required"),
    /** No policy in enforce mode targets the service: everything is denied. */
    NO_POLICY("authz.no_policy");

    private final String code;

    AuthzReason(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }

    public static AuthzReason ofCode(String code) {
        for (AuthzReason r : values()) {
            if (r.code.equals(code)) {
                return r;
            }
        }
        throw new IllegalArgumentException("reason: '" + code + "' (expected: one of authz.*)");
    }

    @Override
    public String toString() {
        return code;
    }
}
