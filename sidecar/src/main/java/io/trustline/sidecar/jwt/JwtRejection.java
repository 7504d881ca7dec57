package io.trustline.sidecar.jwt;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jwt.proc.BadJWTException;
import io.trustline.sidecar.request.JwtReason;
import org.jspecify.annotations.Nullable;

/**
 * Thrown inside the verifier when a token is rejected; carries the reason and an operator detail. Stackless: a
 * rejected token is an expected input, not a bug, and must cost nothing extra.
 */
class JwtRejection extends Exception {

    private final JwtReason reason;

    JwtRejection(JwtReason reason, String detail) {
        super(requireNonNull(detail, "detail"), null, false, false);
        this.reason = requireNonNull(reason, "reason");
    }

    JwtReason reason() {
        return reason;
    }

    String detail() {
        // The constructor refuses a null detail, which is the message.
        return requireNonNull(getMessage(), "detail");
    }

    /** A rejection raised from inside Nimbus's claims check (which may only throw {@link BadJWTException}). */
    static final class InClaims extends BadJWTException {

        private final transient JwtRejection rejection;

        InClaims(JwtReason reason, String detail) {
            super(detail);
            rejection = new JwtRejection(reason, detail);
        }

        JwtRejection rejection() {
            return rejection;
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /** A rejection raised from inside Nimbus's key selection (which may only throw {@link KeySourceException}). */
    static final class InKeys extends KeySourceException {

        private final transient JwtRejection rejection;

        private final transient @Nullable KeySnapshot seen;

        InKeys(JwtReason reason, String detail, @Nullable KeySnapshot seen) {
            super(detail);
            rejection = new JwtRejection(reason, detail);
            this.seen = seen;
        }

        /** The keys that were searched (for an unknown kid), or null. */
        @Nullable
        KeySnapshot seen() {
            return seen;
        }

        JwtRejection rejection() {
            return rejection;
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }
}
