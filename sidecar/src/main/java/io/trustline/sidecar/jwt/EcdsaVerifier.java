package io.trustline.sidecar.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Set;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.jspecify.annotations.Nullable;

/**
 * ECDSA (ES256, ES384, ES512) verification with Bouncy Castle's lightweight API: its constant-time NIST curves and
 * {@link ECDSASigner}, with no JCA provider. A Bouncy Castle provider instance holds about 6 MB of heap and loads
 * some 500 classes for its algorithm tables; the sidecar needs none of them (docs/performance.md).
 *
 * <p>Each key is bound to the one algorithm of its curve (P-256 to ES256 and so on), as RFC 7518 section 3.4
 * requires. The signature must be exactly R || S of the curve's size, and {@link ECDSASigner} refuses r or s
 * outside [1, n-1], so the "psychic signature" (CVE-2022-21449, r = s = 0) fails on every JDK. The public point is
 * decoded and checked on its curve once, at construction.
 */
final class EcdsaVerifier implements JWSVerifier {

    /** An accepted curve: its algorithm, digest and the byte length of one coordinate (R and S each). */
    private record Suite(JWSAlgorithm algorithm, String digest, int size, ECDomainParameters domain) {}

    private final JCAContext jca = new JCAContext();
    private final Suite suite;
    private final Set<JWSAlgorithm> algorithms;
    private final ECPublicKeyParameters key;

    /**
     * @throws JOSEException for a point that is not on the key's curve
     * @throws IllegalArgumentException for a curve other than P-256, P-384 or P-521 (see {@link #accepts})
     */
    EcdsaVerifier(ECKey ec) throws JOSEException {
        final Suite found = suite(ec.getCurve());
        if (found == null) {
            throw new IllegalArgumentException("EC curve " + ec.getCurve() + " is not accepted");
        }
        suite = found;
        algorithms = Set.of(suite.algorithm());
        try {
            key = new ECPublicKeyParameters(
                    suite.domain()
                            .getCurve()
                            .validatePoint(
                                    ec.getX().decodeToBigInteger(), ec.getY().decodeToBigInteger()),
                    suite.domain());
        } catch (IllegalArgumentException e) {
            throw new JOSEException("invalid " + ec.getCurve() + " public key", e);
        }
    }

    /** Whether keys of {@code curve} are used: P-256, P-384, P-521 (not secp256k1, whose ES256K is not accepted). */
    static boolean accepts(Curve curve) {
        return suite(curve) != null;
    }

    private static @Nullable Suite suite(@Nullable Curve curve) {
        if (Curve.P_256.equals(curve)) {
            return Suites.P256;
        }
        if (Curve.P_384.equals(curve)) {
            return Suites.P384;
        }
        if (Curve.P_521.equals(curve)) {
            return Suites.P521;
        }
        return null;
    }

    @Override
    public boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature) {
        if (!suite.algorithm().equals(header.getAlgorithm()) || header.getCriticalParams() != null) {
            return false;
        }
        final byte[] rs = signature.decode();
        final int size = suite.size();
        if (rs.length != 2 * size) {
            return false;
        }
        final BigInteger r = new BigInteger(1, Arrays.copyOfRange(rs, 0, size));
        final BigInteger s = new BigInteger(1, Arrays.copyOfRange(rs, size, 2 * size));
        final byte[] hash;
        try {
            hash = MessageDigest.getInstance(suite.digest()).digest(signingInput);
        } catch (NoSuchAlgorithmException e) {
            // SHA-256/384/512 are in every JDK.
            throw new IllegalStateException(e);
        }
        try {
            final ECDSASigner ecdsa = new ECDSASigner();
            ecdsa.init(false, key);
            // Refuses r or s outside [1, n-1] before any curve arithmetic.
            return ecdsa.verifySignature(hash, r, s);
        } catch (RuntimeException e) {
            // A malformed signature is a failed verification, never an error.
            return false;
        }
    }

    @Override
    public Set<JWSAlgorithm> supportedJWSAlgorithms() {
        return algorithms;
    }

    @Override
    public JCAContext getJCAContext() {
        return jca;
    }

    /** The curves, built on first use of an EC key (a sidecar whose issuers sign with RSA never builds them). */
    private static final class Suites {
        static final Suite P256 = of(JWSAlgorithm.ES256, "SHA-256", 32, "P-256");
        static final Suite P384 = of(JWSAlgorithm.ES384, "SHA-384", 48, "P-384");
        static final Suite P521 = of(JWSAlgorithm.ES512, "SHA-512", 66, "P-521");

        private static Suite of(JWSAlgorithm algorithm, String digest, int size, String curve) {
            final X9ECParameters x9 = CustomNamedCurves.getByName(curve);
            return new Suite(algorithm, digest, size, new ECDomainParameters(x9));
        }
    }
}
