package io.trustline.sidecar.jwt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The ECDSA verifier against signatures made by Nimbus's signer on the JDK's EC: every curve, and every way a
 * signature or a key can be wrong.
 */
class EcdsaVerifierTest {

    private static JWSObject signed(ECKey key, JWSAlgorithm alg, String payload) throws JOSEException {
        final JWSObject jws = new JWSObject(
                new JWSHeader.Builder(alg).type(JOSEObjectType.JWT).build(), new Payload(payload));
        jws.sign(new ECDSASigner(key));
        return jws;
    }

    private static boolean verifies(ECKey key, JWSObject jws) throws JOSEException {
        return jws.verify(new EcdsaVerifier(key.toPublicJWK()));
    }

    private static boolean verifies(ECKey key, JWSObject jws, byte[] signature) throws JOSEException {
        return new EcdsaVerifier(key.toPublicJWK())
                .verify(jws.getHeader(), jws.getSigningInput(), Base64URL.encode(signature));
    }

    @ParameterizedTest
    @CsvSource({"P-256, ES256, 64", "P-384, ES384, 96", "P-521, ES512, 132"})
    void verifiesEachCurvesOwnAlgorithmAndNothingElse(String curveName, String algName, int length) throws Exception {
        final Curve curve = Curve.parse(curveName);
        final JWSAlgorithm alg = JWSAlgorithm.parse(algName);
        final ECKey key = new ECKeyGenerator(curve).generate();
        final JWSObject jws = signed(key, alg, "{\"sub\":\"alice\"}");
        assertThat(jws.getSignature().decode()).hasSize(length);

        assertThat(verifies(key, jws)).isTrue();
        assertThat(new EcdsaVerifier(key.toPublicJWK()).supportedJWSAlgorithms())
                .isEqualTo(Set.of(alg));

        // Another key of the same curve, another payload under the same signature, a flipped bit.
        assertThat(verifies(new ECKeyGenerator(curve).generate(), jws)).isFalse();
        final JWSObject other = signed(key, alg, "{\"sub\":\"mallory\"}");
        assertThat(new EcdsaVerifier(key.toPublicJWK())
                        .verify(jws.getHeader(), other.getSigningInput(), jws.getSignature()))
                .isFalse();
        final byte[] flipped = jws.getSignature().decode();
        flipped[length - 1] ^= 1;
        assertThat(verifies(key, jws, flipped)).isFalse();
    }

    @Test
    void aKeyIsBoundToTheAlgorithmOfItsCurve() throws Exception {
        // RFC 7518 3.4: ES384 is P-384 with SHA-384. A P-256 key never verifies an ES384 header, even when the
        // signature itself is a valid P-256 signature of that input.
        final ECKey p256 = new ECKeyGenerator(Curve.P_256).generate();
        final JWSObject es256 = signed(p256, JWSAlgorithm.ES256, "{}");
        final JWSHeader es384Header = new JWSHeader(JWSAlgorithm.ES384);
        assertThat(new EcdsaVerifier(p256.toPublicJWK())
                        .verify(es384Header, es256.getSigningInput(), es256.getSignature()))
                .isFalse();
    }

    @Test
    void outOfRangeAndMisSizedSignaturesFail() throws Exception {
        final ECKey key = new ECKeyGenerator(Curve.P_256).generate();
        final JWSObject jws = signed(key, JWSAlgorithm.ES256, "{}");
        final byte[] good = jws.getSignature().decode();
        final byte[] n = unsigned(Curve.P_256.toECParameterSpec().getOrder(), 32);

        // CVE-2022-21449: r = s = 0.
        assertThat(verifies(key, jws, new byte[64])).isFalse();
        // r = s = n, and each half alone out of range.
        assertThat(verifies(key, jws, concat(n, n))).isFalse();
        assertThat(verifies(key, jws, concat(Arrays.copyOfRange(good, 0, 32), n)))
                .isFalse();
        assertThat(verifies(key, jws, concat(n, Arrays.copyOfRange(good, 32, 64))))
                .isFalse();
        assertThat(verifies(key, jws, concat(new byte[32], Arrays.copyOfRange(good, 32, 64))))
                .isFalse();
        // One byte short, one byte long, the DER form a JCA signer would produce, nothing.
        assertThat(verifies(key, jws, Arrays.copyOf(good, 63))).isFalse();
        assertThat(verifies(key, jws, Arrays.copyOf(good, 65))).isFalse();
        assertThat(verifies(key, jws, com.nimbusds.jose.crypto.impl.ECDSA.transcodeSignatureToDER(good)))
                .isFalse();
        assertThat(verifies(key, jws, new byte[0])).isFalse();
        // And the untouched signature still passes, so the refusals above are about the bytes.
        assertThat(verifies(key, jws, good)).isTrue();
    }

    @Test
    void criticalHeaderParametersAreNotUnderstood() throws Exception {
        final ECKey key = new ECKeyGenerator(Curve.P_256).generate();
        final JWSObject jws = new JWSObject(
                new JWSHeader.Builder(JWSAlgorithm.ES256)
                        .criticalParams(Set.of("exp"))
                        .customParam("exp", 1)
                        .build(),
                new Payload("{}"));
        jws.sign(new ECDSASigner(key));
        assertThat(verifies(key, jws)).isFalse();
    }

    @Test
    void aPointOffTheCurveIsRefusedWhenTheKeyIsRead() throws Exception {
        final ECKey key = new ECKeyGenerator(Curve.P_256).generate();
        final BigInteger y = key.getY().decodeToBigInteger().add(BigInteger.ONE);
        // Nimbus refuses such a key when it parses it, and the verifier checks the point again: either way the
        // key never verifies anything (an invalid-curve attack needs exactly such a point).
        final String json = key.toPublicJWK()
                .toJSONString()
                .replace(
                        key.getY().toString(), Base64URL.encode(unsigned(y, 32)).toString());
        assertThatThrownBy(() -> new EcdsaVerifier(ECKey.parse(json))).isInstanceOf(Exception.class);
    }

    @Test
    void secp256k1KeysAreNotUsed() throws Exception {
        // secp256k1's generator point as a public key: on its curve, so only the curve is wrong.
        final ECKey k1 = new ECKey.Builder(
                        Curve.SECP256K1,
                        Base64URL.encode(unsigned(
                                new BigInteger("79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798", 16),
                                32)),
                        Base64URL.encode(unsigned(
                                new BigInteger("483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8", 16),
                                32)))
                .build();
        assertThat(EcdsaVerifier.accepts(Curve.SECP256K1)).isFalse();
        assertThat(StrictJwsVerifiers.keyOf(k1.toPublicJWK())).isNull();
        assertThat(EcdsaVerifier.accepts(Curve.P_256)).isTrue();
    }

    private static byte[] unsigned(BigInteger value, int size) {
        final byte[] bytes = value.toByteArray();
        final byte[] out = new byte[size];
        final int copy = Math.min(bytes.length, size);
        System.arraycopy(bytes, bytes.length - copy, out, size - copy, copy);
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        final byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
