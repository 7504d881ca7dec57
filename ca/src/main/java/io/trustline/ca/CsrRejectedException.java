package io.trustline.ca;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/** Thrown when the CA refuses a certificate signing request. The message never holds key material. */
public final class CsrRejectedException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why a CSR was refused. */
    public enum Reason {
        /** Not a DER-encoded PKCS#10 request. */
        MALFORMED,
        /** The CSR's signature does not verify with its own public key (no proof of possession). */
        BAD_SIGNATURE,
        /** RSA shorter than 2048 bits, an unknown curve, or an unsupported key algorithm. */
        WEAK_KEY,
        /** The CSR asks for subject alternative names other than the one authorised SPIFFE ID. */
        SUBJECT_ALT_NAMES,
        /** The CSR asks for a different SPIFFE ID than the caller is authorised for. */
        ID_MISMATCH,
        /** This CA does not issue the authorised ID (another trust domain, no path, or reserved). */
        ID_NOT_ALLOWED
    }

    private final Reason reason;

    /** Creates an exception; {@code message} must name the problem without quoting secrets. */
    public CsrRejectedException(Reason reason, String message) {
        this(reason, message, null);
    }

    /** Creates an exception with a cause. */
    public CsrRejectedException(Reason reason, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.reason = requireNonNull(reason, "reason");
    }

    /** Returns why the CSR was refused. */
    public Reason reason() {
        return reason;
    }
}
