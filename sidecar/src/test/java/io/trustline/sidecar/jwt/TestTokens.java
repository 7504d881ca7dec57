package io.trustline.sidecar.jwt;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSAEncrypter;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * Keys and tokens made at test time: an issuer's RSA, EC P-256 and Ed25519 keys, its JWKS, and signed (or
 * deliberately broken) tokens. Nothing here is ever written to the repository.
 */
public final class TestTokens {

    public final String issuer;
    public final RSAKey rsa;
    public final ECKey ec;
    public final OctetKeyPair ed;
    private final Clock clock;

    public TestTokens(String issuer, String kidSuffix, Clock clock) {
        this.issuer = issuer;
        this.clock = clock;
        try {
            rsa = new RSAKeyGenerator(2048).keyID("rsa-" + kidSuffix).generate();
            ec = new ECKeyGenerator(Curve.P_256).keyID("ec-" + kidSuffix).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        ed = ed25519("ed-" + kidSuffix);
    }

    /** An Ed25519 key pair made with Bouncy Castle (Nimbus's generator needs Tink). */
    public static OctetKeyPair ed25519(String kid) {
        final Ed25519PrivateKeyParameters priv = new Ed25519PrivateKeyParameters(new SecureRandom());
        return new OctetKeyPair.Builder(
                        Curve.Ed25519, Base64URL.encode(priv.generatePublicKey().getEncoded()))
                .d(Base64URL.encode(priv.getEncoded()))
                .keyID(kid)
                .build();
    }

    /** The JWKS with the public halves of {@code keys}. */
    public static String jwks(JWK... keys) {
        final List<JWK> pub = new ArrayList<>();
        for (JWK k : keys) {
            pub.add(k.toPublicJWK());
        }
        return new JWKSet(pub).toString(true);
    }

    /** The JWKS of this issuer's three keys. */
    public String jwks() {
        return jwks(rsa, ec, ed);
    }

    /** Claims that every check accepts: this issuer, sub alice, aud [backend, other], 10 minutes to live. */
    public JWTClaimsSet.Builder claims() {
        final Instant now = clock.instant();
        return new JWTClaimsSet.Builder()
                .issuer(issuer)
                .subject("alice")
                .audience(List.of("backend", "other"))
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(Duration.ofMinutes(10))))
                .claim("scope", "orders.read orders.write")
                .claim("tenant", "acme");
    }

    public String rs256() {
        return sign(rsa, JWSAlgorithm.RS256, claims().build());
    }

    public String es256() {
        return sign(ec, JWSAlgorithm.ES256, claims().build());
    }

    public String eddsa() {
        return sign(ed, JWSAlgorithm.EdDSA, claims().build());
    }

    /** An RS256 token with the claims changed by {@code change}. */
    public String rs256(Consumer<JWTClaimsSet.Builder> change) {
        final JWTClaimsSet.Builder b = claims();
        change.accept(b);
        return sign(rsa, JWSAlgorithm.RS256, b.build());
    }

    /** Signs {@code claims} with {@code key} under a header with the key's kid and {@code typ: JWT}. */
    public static String sign(JWK key, JWSAlgorithm alg, JWTClaimsSet claims) {
        return sign(
                key,
                new JWSHeader.Builder(alg)
                        .keyID(key.getKeyID())
                        .type(JOSEObjectType.JWT)
                        .build(),
                claims);
    }

    public static String sign(JWK key, JWSHeader header, JWTClaimsSet claims) {
        try {
            final SignedJWT jwt = new SignedJWT(header, claims);
            jwt.sign(signer(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static JWSSigner signer(JWK key) throws JOSEException {
        if (key instanceof RSAKey r) {
            return new RSASSASigner(r);
        }
        if (key instanceof ECKey e) {
            return new ECDSASigner(e);
        }
        return new Ed25519TestSigner((OctetKeyPair) key);
    }

    /** {@code alg: none}: no signature at all. */
    public String unsigned() {
        return new PlainJWT(claims().build()).serialize();
    }

    /** The algorithm-confusion attack: HS256 "signed" with the issuer's public RSA key as the HMAC secret. */
    public String hs256WithThePublicKey() {
        try {
            final SignedJWT jwt = new SignedJWT(
                    new JWSHeader.Builder(JWSAlgorithm.HS256)
                            .keyID(rsa.getKeyID())
                            .build(),
                    claims().build());
            jwt.sign(new MACSigner(rsa.toRSAPublicKey().getEncoded()));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A JWE: the claims encrypted to the issuer's RSA key. */
    public String encrypted() {
        try {
            final EncryptedJWT jwt = new EncryptedJWT(
                    new JWEHeader.Builder(JWEAlgorithm.RSA_OAEP_256, EncryptionMethod.A128GCM)
                            .keyID(rsa.getKeyID())
                            .build(),
                    claims().build());
            jwt.encrypt(new RSAEncrypter(rsa.toRSAPublicKey()));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A valid RS256 token with an unknown critical header parameter. */
    public String withUnknownCrit() {
        return sign(
                rsa,
                new JWSHeader.Builder(JWSAlgorithm.RS256)
                        .keyID(rsa.getKeyID())
                        .customParam("exp-policy", "strict")
                        .criticalParams(Set.of("exp-policy"))
                        .build(),
                claims().build());
    }

    /** A valid RS256 token whose payload was then changed (the signature no longer covers it). */
    public String tampered() {
        final String[] parts = rs256().split("\\.");
        final String other = rs256(b -> b.subject("mallory")).split("\\.")[1];
        return parts[0] + '.' + other + '.' + parts[2];
    }

    /** The "psychic signature" (CVE-2022-21449): an ES256 token whose signature is r = 0, s = 0. */
    public String es256WithZeroSignature() {
        final String[] parts = es256().split("\\.");
        return parts[0] + '.' + parts[1] + '.' + Base64URL.encode(new byte[64]);
    }

    /** An ES256 token whose signature is r = s = n (the curve order): out of range, like zero. */
    public String es256WithSignatureOfTheCurveOrder() {
        final byte[] n = Curve.P_256.toECParameterSpec().getOrder().toByteArray();
        final byte[] rs = new byte[64];
        // n is 32 bytes (toByteArray may add a leading zero): r = n, s = n.
        System.arraycopy(n, n.length - 32, rs, 0, 32);
        System.arraycopy(n, n.length - 32, rs, 32, 32);
        final String[] parts = es256().split("\\.");
        return parts[0] + '.' + parts[1] + '.' + Base64URL.encode(rs);
    }

    /** Signs EdDSA with Bouncy Castle (Nimbus's Ed25519 signer needs Tink). */
    static final class Ed25519TestSigner implements JWSSigner {

        private final Ed25519PrivateKeyParameters key;
        private final JCAContext jca = new JCAContext();

        Ed25519TestSigner(OctetKeyPair okp) {
            key = new Ed25519PrivateKeyParameters(okp.getDecodedD());
        }

        @Override
        public Base64URL sign(JWSHeader header, byte[] signingInput) {
            final Ed25519Signer s = new Ed25519Signer();
            s.init(true, key);
            s.update(signingInput, 0, signingInput.length);
            return Base64URL.encode(s.generateSignature());
        }

        @Override
        public Set<JWSAlgorithm> supportedJWSAlgorithms() {
            return Set.of(JWSAlgorithm.EdDSA);
        }

        @Override
        public JCAContext getJCAContext() {
            return jca;
        }
    }
}
