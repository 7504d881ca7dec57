package io.trustline.sidecar.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.proc.JWSVerifierFactory;
import java.security.Key;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Makes the verifier of each JWKS key once, and is the {@link JWSVerifierFactory} of Nimbus's processor, handing
 * those verifiers back. Choices:
 *
 * <ul>
 *   <li>ECDSA (P-256, P-384, P-521) uses Bouncy Castle's lightweight API through {@link EcdsaVerifier}: it checks
 *       that r and s lie in [1, n-1], so the "psychic signature" (CVE-2022-21449, r = s = 0, accepted by JDK 15-18
 *       before their April 2022 updates) is impossible whatever JDK runs the sidecar, and it is several times faster
 *       than JDK 17's EC. No JCA provider is built for it.
 *   <li>RSA (RS*, PS*) uses the JDK, which is strict and fast for public-key operations; keys under 2048 bits are
 *       not used.
 *   <li>EdDSA uses Bouncy Castle's RFC 8032 code through {@link EdDsaVerifier}.
 * </ul>
 */
final class StrictJwsVerifiers implements JWSVerifierFactory {

    static final StrictJwsVerifiers INSTANCE = new StrictJwsVerifiers();

    /** Smallest RSA modulus accepted in a JWKS (NIST SP 800-131A). */
    static final int MIN_RSA_BITS = 2048;

    private final JCAContext jca = new JCAContext();

    private StrictJwsVerifiers() {}

    /**
     * The verifying key for {@code jwk}, or null when it is no signature verification key this sidecar uses
     * (a symmetric key, a key for encryption only, X25519).
     *
     * @throws JOSEException when the key is unusable (too short, not on its curve, bad encoding)
     */
    static @Nullable VerifyingKey keyOf(JWK jwk) throws JOSEException {
        final JWSVerifier verifier;
        if (jwk instanceof RSAKey rsa) {
            if (rsa.size() < MIN_RSA_BITS) {
                throw new JOSEException("RSA key of " + rsa.size() + " bits (expected: >= " + MIN_RSA_BITS + ")");
            }
            verifier = new RSASSAVerifier(rsa.toRSAPublicKey());
        } else if (jwk instanceof ECKey ec) {
            if (!EcdsaVerifier.accepts(ec.getCurve())) {
                return null;
            }
            verifier = new EcdsaVerifier(ec);
        } else if (jwk instanceof OctetKeyPair okp) {
            if (!okp.getCurve().getName().startsWith("Ed")) {
                return null;
            }
            verifier = new EdDsaVerifier(okp);
        } else {
            return null;
        }
        return new VerifyingKey(jwk, verifier);
    }

    @Override
    public @Nullable JWSVerifier createJWSVerifier(JWSHeader header, Key key) {
        if (key instanceof VerifyingKey vk && vk.supports(header.getAlgorithm())) {
            return vk.verifier();
        }
        // Not ours, or a key for another algorithm: Nimbus skips it.
        return null;
    }

    @Override
    public Set<JWSAlgorithm> supportedJWSAlgorithms() {
        return Set.of(
                JWSAlgorithm.RS256,
                JWSAlgorithm.RS384,
                JWSAlgorithm.RS512,
                JWSAlgorithm.PS256,
                JWSAlgorithm.PS384,
                JWSAlgorithm.PS512,
                JWSAlgorithm.ES256,
                JWSAlgorithm.ES384,
                JWSAlgorithm.ES512,
                JWSAlgorithm.EdDSA);
    }

    @Override
    public JCAContext getJCAContext() {
        return jca;
    }
}
