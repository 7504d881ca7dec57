package io.trustline.examples.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class TokenIssuerTest {

    private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
    private final TokenIssuer issuer =
            new TokenIssuer("http://auth:9000", "shop", Duration.ofMinutes(5), Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void issuesAnEs256TokenThatVerifiesWithThePublishedKeys() throws Exception {
        final SignedJWT jwt = SignedJWT.parse(issuer.issue("alice", "orders.read orders.write"));
        final JWKSet jwks = JWKSet.parse(issuer.jwksJson());

        assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
        final ECKey key = (ECKey) jwks.getKeyByKeyId(jwt.getHeader().getKeyID());
        assertThat(key).isNotNull();
        assertThat(key.isPrivate()).isFalse();
        assertThat(jwt.verify(new ECDSAVerifier(key))).isTrue();

        final var claims = jwt.getJWTClaimsSet();
        assertThat(claims.getIssuer()).isEqualTo("http://auth:9000");
        assertThat(claims.getSubject()).isEqualTo("alice");
        assertThat(claims.getAudience()).containsExactly("shop");
        assertThat(claims.getStringClaim("scope")).isEqualTo("orders.read orders.write");
        assertThat(claims.getIssueTime().toInstant()).isEqualTo(NOW);
        assertThat(claims.getExpirationTime().toInstant()).isEqualTo(NOW.plus(Duration.ofMinutes(5)));
        assertThat(claims.getJWTID()).isNotBlank();
    }

    @Test
    void anExpiredTokenExpiredBeforeNowAndIsOtherwiseValid() throws Exception {
        final SignedJWT jwt = SignedJWT.parse(issuer.issueExpired("bob", "orders.read"));
        final ECKey key = (ECKey) JWKSet.parse(issuer.jwksJson()).getKeys().get(0);
        assertThat(jwt.verify(new ECDSAVerifier(key))).isTrue();
        assertThat(jwt.getJWTClaimsSet().getExpirationTime().toInstant()).isBefore(NOW.minus(Duration.ofMinutes(4)));
    }

    @Test
    void theJwksHoldsNoPrivateKeyMaterial() {
        assertThat(issuer.jwksJson()).doesNotContain("\"d\"");
    }
}
