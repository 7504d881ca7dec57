package io.trustline.sidecar.jwt;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jwk.JWK;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;

/**
 * One usable key of an issuer's JWKS with its verifier made once, when the JWKS was fetched: converting a JWK and
 * checking its point on the curve per request would cost more than the signature check itself. Nimbus's processor
 * passes keys around as {@link java.security.Key}s, hence the interface; {@link StrictJwsVerifiers} hands back the
 * verifier.
 */
final class VerifyingKey implements PublicKey {

    private static final long serialVersionUID = 1L;

    private final transient JWK jwk;
    private final transient JWSVerifier verifier;
    private final String algorithm;

    VerifyingKey(JWK jwk, JWSVerifier verifier) {
        this.jwk = jwk;
        this.verifier = verifier;
        algorithm = jwk.getKeyType().getValue();
    }

    JWK jwk() {
        return jwk;
    }

    JWSVerifier verifier() {
        return verifier;
    }

    boolean supports(JWSAlgorithm alg) {
        return verifier.supportedJWSAlgorithms().contains(alg);
    }

    @Override
    public String getAlgorithm() {
        return algorithm;
    }

    @Override
    public String getFormat() {
        return "JWK";
    }

    @Override
    public byte[] getEncoded() {
        return jwk.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "VerifyingKey{kid=" + jwk.getKeyID() + ", kty=" + algorithm + '}';
    }
}
