package io.trustline.examples.auth;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;

/**
 * Signs the shop's user tokens: ES256 JWTs with {@code iss}, {@code sub} (the user), {@code aud}, {@code scope}
 * (space-separated), {@code iat}, {@code nbf}, {@code exp} and {@code jti}. The signing key is made when the issuer
 * starts and lives only in memory; its public half is published as a JWKS for the sidecars.
 */
public final class TokenIssuer {

    /** How long a token lives: short, so a leaked one is worth little. */
    public static final Duration DEFAULT_TTL = Duration.ofMinutes(5);

    private final String issuer;
    private final String audience;
    private final Duration ttl;
    private final Clock clock;
    private final ECKey key;
    private final ECDSASigner signer;

    /** A new issuer with a fresh P-256 key. */
    public TokenIssuer(String issuer, String audience, Duration ttl, Clock clock) {
        this.issuer = requireNonNull(issuer, "issuer");
        this.audience = requireNonNull(audience, "audience");
        this.ttl = requireNonNull(ttl, "ttl");
        this.clock = requireNonNull(clock, "clock");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl: " + ttl + " (expected: > 0)");
        }
        try {
            key = new ECKeyGenerator(Curve.P_256)
                    .keyID(UUID.randomUUID().toString())
                    .keyUse(KeyUse.SIGNATURE)
                    .algorithm(JWSAlgorithm.ES256)
                    .generate();
            signer = new ECDSASigner(key);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot make the signing key", e);
        }
    }

    public String issuer() {
        return issuer;
    }

    public Duration ttl() {
        return ttl;
    }

    /** A token for {@code user} with {@code scopes}, valid from now for {@link #ttl()}. */
    public String issue(String user, String scopes) {
        return sign(user, scopes, clock.instant());
    }

    /**
     * A token that expired a while ago (issued two lifetimes back), for showing that sidecars refuse it. Apart from
     * its times it is a perfectly good token.
     */
    public String issueExpired(String user, String scopes) {
        return sign(user, scopes, clock.instant().minus(ttl.multipliedBy(2)));
    }

    private String sign(String user, String scopes, Instant issuedAt) {
        final JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .subject(user)
                .audience(List.of(audience))
                .claim("scope", scopes)
                .issueTime(Date.from(issuedAt))
                .notBeforeTime(Date.from(issuedAt))
                .expirationTime(Date.from(issuedAt.plus(ttl)))
                .jwtID(UUID.randomUUID().toString())
                .build();
        final SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.ES256)
                        .keyID(key.getKeyID())
                        .type(JOSEObjectType.JWT)
                        .build(),
                claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a token", e);
        }
        return jwt.serialize();
    }

    /** The public keys, as served at {@code /.well-known/jwks.json}. */
    public String jwksJson() {
        return new JWKSet(key.toPublicJWK()).toString(true);
    }
}
