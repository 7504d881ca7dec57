package io.trustline.ca.store;

import static java.util.Objects.requireNonNull;

/** Thrown when a join token cannot authorise a request. The message never quotes the token. */
public final class JoinTokenException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why the token was refused. */
    public enum Reason {
        /** Malformed, unknown, or the secret does not match: indistinguishable on purpose. */
        INVALID,
        /** Past its expiry. */
        EXPIRED,
        /** Single-use and already redeemed. */
        USED,
        /** Revoked by an operator. */
        REVOKED
    }

    private final Reason reason;

    JoinTokenException(Reason reason, String message) {
        super(message);
        this.reason = requireNonNull(reason, "reason");
    }

    /** Returns why the token was refused. */
    public Reason reason() {
        return reason;
    }
}
