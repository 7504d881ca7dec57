package io.trustline.ca;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/** Thrown when a presented certificate chain is not a valid X.509-SVID for the trust domain. */
public final class SvidValidationException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why the chain was refused; stable, so receivers can count refusals by reason. */
    public enum Reason {
        /** No certificate was presented. */
        EMPTY_CHAIN,
        /** The leaf is a CA certificate or may sign certificates. */
        NOT_A_LEAF,
        /** The leaf's key usage lacks digitalSignature. */
        KEY_USAGE,
        /** The leaf's extended key usage does not allow its use: clientAuth for a caller, serverAuth for a server. */
        EXTENDED_KEY_USAGE,
        /** The SPIFFE ID is reserved for Trustline itself (the CA's own) where a workload is expected. */
        RESERVED_ID,
        /** The leaf does not carry exactly one URI SAN. */
        URI_SAN_COUNT,
        /** The URI SAN is not a valid SPIFFE ID, or names no workload. */
        INVALID_SPIFFE_ID,
        /** The SPIFFE ID is in another trust domain. */
        WRONG_TRUST_DOMAIN,
        /** The leaf has expired. */
        EXPIRED,
        /** The leaf is not valid yet. */
        NOT_YET_VALID,
        /** The chain does not lead to a root in the trust bundle. */
        UNTRUSTED;

        /** Returns a stable lowercase code, e.g. {@code svid.expired}. */
        public String code() {
            return "svid." + name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Reason reason;

    SvidValidationException(Reason reason, @Nullable String message) {
        this(reason, message, null);
    }

    SvidValidationException(Reason reason, @Nullable String message, @Nullable Throwable cause) {
        super(message, cause);
        this.reason = requireNonNull(reason, "reason");
    }

    /** Returns why the chain was refused. */
    public Reason reason() {
        return reason;
    }
}
