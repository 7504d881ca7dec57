package io.trustline.ca;

import static java.util.Objects.requireNonNull;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The key types the CA creates: EC P-256 (the default) or RSA 3072. */
public enum KeyType {
    /** ECDSA on NIST P-256 (secp256r1), signed with SHA-256. The default. */
    EC_P256("ec-p256", "SHA256withECDSA"),
    /** RSA with a 3072-bit modulus, signed with SHA-256 (PKCS#1 v1.5). */
    RSA_3072("rsa-3072", "SHA256withRSA");

    private final String cliName;
    private final String signatureAlgorithm;

    KeyType(String cliName, String signatureAlgorithm) {
        this.cliName = cliName;
        this.signatureAlgorithm = signatureAlgorithm;
    }

    /**
     * Parses {@code ec-p256} or {@code rsa-3072} (case-insensitive).
     *
     * @throws IllegalArgumentException for any other name
     */
    public static KeyType parse(String name) {
        requireNonNull(name, "name");
        final String lower = name.toLowerCase(Locale.ROOT);
        for (KeyType type : values()) {
            if (type.cliName.equals(lower)) {
                return type;
            }
        }
        throw new IllegalArgumentException("key type: " + name + " (expected: "
                + Arrays.stream(values()).map(KeyType::cliName).collect(Collectors.joining(" or ")) + ")");
    }

    /** Returns the type of an existing private key, for signing with an operator-supplied CA key. */
    static KeyType of(PrivateKey key) {
        if (key instanceof ECPrivateKey) {
            return EC_P256;
        }
        if (key instanceof RSAPrivateKey) {
            return RSA_3072;
        }
        throw new IllegalArgumentException("key: " + key.getAlgorithm() + " (expected: EC or RSA)");
    }

    /** Returns the name used on the command line, e.g. {@code ec-p256}. */
    public String cliName() {
        return cliName;
    }

    /** Returns the JCA signature algorithm a CA key of this type signs with. */
    public String signatureAlgorithm() {
        return signatureAlgorithm;
    }

    /** Generates a fresh key pair with the JDK's providers. */
    public KeyPair generate() {
        try {
            if (this == EC_P256) {
                final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
                generator.initialize(new ECGenParameterSpec("secp256r1"));
                return generator.generateKeyPair();
            }
            final KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(3072);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("key generation failed: " + cliName, e);
        }
    }
}
