package io.trustline.sidecar.jwt;

import com.nimbusds.jwt.JWTClaimNames;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.ExpiredJWTException;
import io.trustline.policy.model.JwtProvider;
import io.trustline.sidecar.request.JwtReason;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The claims checks of one issuer: Nimbus's {@link DefaultJWTClaimsVerifier} (exact {@code iss}, an accepted
 * {@code aud}, required {@code exp} and {@code sub}, {@code exp} and {@code nbf} within the clock skew) on the
 * sidecar's clock, plus what it does not check: {@code iat} in the future and the maximum token lifetime. A failure
 * becomes a typed rejection with its reason; which check failed is worked out from the claims, not from Nimbus's
 * message text.
 */
final class IssuerClaimsVerifier extends DefaultJWTClaimsVerifier<IssuerVerifier.Context> {

    private final String issuer;
    private final Set<String> audiences;
    private final Clock clock;
    private final long skewMillis;
    private final @Nullable Duration maxLifetime;

    IssuerClaimsVerifier(JwtProvider provider, Clock clock) {
        super(
                new HashSet<>(provider.audiences()),
                new JWTClaimsSet.Builder().issuer(provider.issuer()).build(),
                requiredClaims(provider),
                null);
        issuer = provider.issuer();
        audiences = Set.copyOf(provider.audiences());
        this.clock = clock;
        // Nimbus counts the skew in whole seconds; a sub-second skew rounds down, never up.
        setMaxClockSkew((int) provider.clockSkew().toSeconds());
        skewMillis = provider.clockSkew().toSeconds() * 1000;
        maxLifetime = provider.maxTokenLifetime().orElse(null);
    }

    private static Set<String> requiredClaims(JwtProvider provider) {
        return provider.maxTokenLifetime().isPresent()
                ? Set.of(JWTClaimNames.EXPIRATION_TIME, JWTClaimNames.SUBJECT, JWTClaimNames.ISSUED_AT)
                : Set.of(JWTClaimNames.EXPIRATION_TIME, JWTClaimNames.SUBJECT);
    }

    long skewMillis() {
        return skewMillis;
    }

    @Override
    protected Date currentTime() {
        return new Date(clock.millis());
    }

    @Override
    public void verify(JWTClaimsSet claims, IssuerVerifier.@Nullable Context context) throws BadJWTException {
        final Date now = currentTime();
        try {
            super.verify(claims, context);
        } catch (ExpiredJWTException e) {
            throw reject(
                    JwtReason.EXPIRED,
                    "exp " + claims.getExpirationTime().toInstant() + " is before now " + now.toInstant() + " - skew");
        } catch (BadJWTException e) {
            throw classify(claims, now);
        }
        final Date iat = claims.getIssueTime();
        if (iat != null && iat.getTime() - skewMillis > now.getTime()) {
            throw reject(
                    JwtReason.NOT_YET_VALID, "iat " + iat.toInstant() + " is after now " + now.toInstant() + " + skew");
        }
        if (maxLifetime != null) {
            final Duration lifetime =
                    Duration.between(iat.toInstant(), claims.getExpirationTime().toInstant());
            if (lifetime.compareTo(maxLifetime) > 0) {
                throw reject(
                        JwtReason.LIFETIME_TOO_LONG,
                        "exp - iat = " + lifetime.toSeconds() + "s (maxTokenLifetime " + maxLifetime.toSeconds()
                                + "s)");
            }
        }
        final String sub = claims.getSubject();
        if (sub == null || sub.isEmpty()) {
            throw reject(JwtReason.MISSING_SUB, "sub is empty");
        }
    }

    /** Which of Nimbus's checks failed, in Nimbus's order: aud, required claims, iss, then nbf. */
    private JwtRejection.InClaims classify(JWTClaimsSet claims, Date now) {
        final List<String> aud = claims.getAudience();
        if (aud == null || aud.isEmpty()) {
            return reject(JwtReason.WRONG_AUDIENCE, "no aud (expected one of " + audiences + ")");
        }
        if (aud.stream().noneMatch(audiences::contains)) {
            return reject(
                    JwtReason.WRONG_AUDIENCE,
                    "aud " + Sanitize.forLog(aud.toString()) + " (expected one of " + audiences + ")");
        }
        if (claims.getExpirationTime() == null) {
            return reject(JwtReason.MISSING_EXP, "no exp");
        }
        if (claims.getClaim(JWTClaimNames.SUBJECT) == null) {
            return reject(JwtReason.MISSING_SUB, "no sub");
        }
        if (maxLifetime != null && claims.getIssueTime() == null) {
            return reject(JwtReason.MISSING_IAT, "no iat (required by maxTokenLifetime)");
        }
        if (!issuer.equals(claims.getIssuer())) {
            return reject(JwtReason.WRONG_ISSUER, "iss is not " + issuer);
        }
        final Date nbf = claims.getNotBeforeTime();
        final Instant nbfAt = nbf != null ? nbf.toInstant() : null;
        return reject(JwtReason.NOT_YET_VALID, "nbf " + nbfAt + " is after now " + now.toInstant() + " + skew");
    }

    private static JwtRejection.InClaims reject(JwtReason reason, String detail) {
        return new JwtRejection.InClaims(reason, detail);
    }
}
