package io.trustline.sidecar.jwt;

import io.trustline.policy.model.JwtProvider;
import io.trustline.sidecar.request.JwtFailure;
import io.trustline.sidecar.request.VerifiedToken;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/** The outcome of checking one token: verified, failed, or waiting for a refetch of the issuer's keys. */
public sealed interface Verification {

    /**
     * A valid token.
     *
     * @param token the verified user, for {@link VerifiedToken#ATTR}
     * @param headers the claim headers for the app
     * @param provider the issuer's policy entry
     * @param cached whether it came from the verified-token cache
     */
    record Verified(VerifiedToken token, List<ClaimHeaderValue> headers, JwtProvider provider, boolean cached)
            implements Verification {}

    /**
     * A token that is not accepted.
     *
     * @param provider the issuer the token was attributed to, or null
     */
    record Failed(JwtFailure failure, @Nullable JwtProvider provider) implements Verification {}

    /**
     * The token names a key the issuer's JWKS did not have: a refetch is under way on the JWKS executor. Check the
     * token again (without a further refetch) once {@code keysRefetched} completes; it never completes
     * exceptionally. Nothing blocks meanwhile.
     */
    record Pending(CompletableFuture<Void> keysRefetched) implements Verification {}
}
