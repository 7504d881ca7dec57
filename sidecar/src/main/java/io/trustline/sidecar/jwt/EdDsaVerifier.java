package io.trustline.sidecar.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.util.Base64URL;
import java.util.Set;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.params.Ed448PublicKeyParameters;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.bouncycastle.math.ec.rfc8032.Ed448;
import org.jspecify.annotations.Nullable;

/**
 * EdDSA (Ed25519, Ed448) verification with Bouncy Castle's RFC 8032 implementation. Nimbus's own Ed25519 verifier
 * needs Google Tink, which is not a dependency here, and its key selector cannot turn an OKP key into a Java key;
 * this verifier takes the OKP key directly. The public point is decoded and validated once, at construction.
 */
final class EdDsaVerifier implements JWSVerifier {

    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.EdDSA);
    /** Plain Ed448 (RFC 8032 5.2) signs with an empty context. */
    private static final byte[] NO_CONTEXT = new byte[0];

    private final JCAContext jca = new JCAContext();
    // Exactly one is set, by the key's curve.
    private final @Nullable Ed25519PublicKeyParameters ed25519;
    private final @Nullable Ed448PublicKeyParameters ed448;

    /**
     * @throws JOSEException for a curve other than Ed25519/Ed448 (X25519 keys are for key agreement) or a point that
     *     is not on the curve
     */
    EdDsaVerifier(OctetKeyPair key) throws JOSEException {
        final byte[] x = key.getDecodedX();
        try {
            if (Curve.Ed25519.equals(key.getCurve())) {
                ed25519 = new Ed25519PublicKeyParameters(x);
                ed448 = null;
            } else if (Curve.Ed448.equals(key.getCurve())) {
                ed25519 = null;
                ed448 = new Ed448PublicKeyParameters(x);
            } else {
                throw new JOSEException("OKP curve " + key.getCurve() + " is not a signature curve");
            }
        } catch (IllegalArgumentException e) {
            throw new JOSEException("invalid " + key.getCurve() + " public key", e);
        }
    }

    @Override
    public boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature) {
        if (!JWSAlgorithm.EdDSA.equals(header.getAlgorithm()) || header.getCriticalParams() != null) {
            return false;
        }
        final byte[] sig = signature.decode();
        try {
            if (ed25519 != null) {
                return sig.length == Ed25519.SIGNATURE_SIZE
                        && ed25519.verify(
                                Ed25519.Algorithm.Ed25519, null, signingInput, 0, signingInput.length, sig, 0);
            }
            return ed448 != null
                    && sig.length == Ed448.SIGNATURE_SIZE
                    && ed448.verify(Ed448.Algorithm.Ed448, NO_CONTEXT, signingInput, 0, signingInput.length, sig, 0);
        } catch (RuntimeException e) {
            // A malformed signature is a failed verification, never an error.
            return false;
        }
    }

    @Override
    public Set<JWSAlgorithm> supportedJWSAlgorithms() {
        return ALGORITHMS;
    }

    @Override
    public JCAContext getJCAContext() {
        return jca;
    }
}
