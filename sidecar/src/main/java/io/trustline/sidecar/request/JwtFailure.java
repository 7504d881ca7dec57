package io.trustline.sidecar.request;

import static java.util.Objects.requireNonNull;

import io.netty.util.AttributeKey;
import io.trustline.policy.model.Mode;
import org.jspecify.annotations.Nullable;

/**
 * Why the current request's token was not accepted, for the access log and the span (never for the caller, who gets
 * only {@link JwtReason#code()}). Carries no part of the token.
 *
 * @param reason the stable reason
 * @param issuer the issuer whose rules rejected the token; null when the token could not be attributed to one
 * @param detail what exactly failed, for operators (e.g. {@code "exp 2025-01-01T00:00:00Z is before now - 60s"})
 * @param mode {@link Mode#AUDIT} when the request went on anyway (a would-be rejection)
 */
public record JwtFailure(JwtReason reason, @Nullable String issuer, String detail, Mode mode) {

    /** Why the current request's token was not accepted (also set, with mode audit, when the request went on). */
    public static final AttributeKey<JwtFailure> ATTR = AttributeKey.valueOf(JwtFailure.class, "FAILURE");

    public JwtFailure {
        requireNonNull(reason, "reason");
        requireNonNull(detail, "detail");
        requireNonNull(mode, "mode");
    }

    /** Whether the request went on despite this failure ({@code mode: audit}). */
    public boolean audited() {
        return mode == Mode.AUDIT;
    }
}
