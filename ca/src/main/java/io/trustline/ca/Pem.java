package io.trustline.ca;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.util.io.pem.PemGenerationException;

/** PEM encoding and decoding of certificates and PKCS#8 private keys. */
public final class Pem {

    private Pem() {}

    /** Encodes certificates as concatenated {@code CERTIFICATE} blocks, in the given order. */
    public static String encodeCertificates(List<X509Certificate> certificates) {
        requireNonNull(certificates, "certificates");
        return write(certificates.toArray());
    }

    /** Encodes a private key as an unencrypted PKCS#8 {@code PRIVATE KEY} block. */
    public static String encodePrivateKey(PrivateKey key) {
        requireNonNull(key, "key");
        if (!"PKCS#8".equals(key.getFormat())) {
            throw new IllegalArgumentException("key format: " + key.getFormat() + " (expected: PKCS#8)");
        }
        // JcaPKCS8Generator, not the PrivateKeyInfo itself: JcaPEMWriter would write that in the
        // traditional "EC PRIVATE KEY" form without the curve.
        try {
            return write(new JcaPKCS8Generator(key, null));
        } catch (PemGenerationException e) {
            throw new IllegalStateException("PEM encoding failed", e);
        }
    }

    private static String write(Object... objects) {
        final StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            for (Object object : objects) {
                writer.writeObject(object);
            }
        } catch (IOException e) {
            throw new IllegalStateException("PEM encoding failed", e);
        }
        return out.toString();
    }

    /**
     * Decodes every {@code CERTIFICATE} block, in order.
     *
     * @throws IllegalArgumentException if the text holds no certificate, another kind of block, or a
     *     malformed one
     */
    public static List<X509Certificate> parseCertificates(String pem) {
        requireNonNull(pem, "pem");
        final List<X509Certificate> certificates = new ArrayList<>();
        final JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object object;
            while ((object = parser.readObject()) != null) {
                if (!(object instanceof X509CertificateHolder)) {
                    throw new IllegalArgumentException("pem: unexpected " + kind(object) + " (expected: CERTIFICATE)");
                }
                certificates.add(converter.getCertificate((X509CertificateHolder) object));
            }
        } catch (IOException | CertificateException | RuntimeException e) {
            if (e instanceof IllegalArgumentException) {
                throw (IllegalArgumentException) e;
            }
            throw new IllegalArgumentException("pem: malformed certificate", e);
        }
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException("pem: no CERTIFICATE block");
        }
        return List.copyOf(certificates);
    }

    /**
     * Decodes one unencrypted private key: PKCS#8 ({@code PRIVATE KEY}), or the traditional {@code EC
     * PRIVATE KEY}/{@code RSA PRIVATE KEY} forms that OpenSSL writes.
     *
     * @throws IllegalArgumentException if the text holds no key, an encrypted key or a malformed one
     */
    public static PrivateKey parsePrivateKey(String pem) {
        requireNonNull(pem, "pem");
        final JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object object;
            while ((object = parser.readObject()) != null) {
                if (object instanceof PrivateKeyInfo) {
                    return converter.getPrivateKey((PrivateKeyInfo) object);
                }
                if (object instanceof PEMKeyPair) {
                    return converter.getKeyPair((PEMKeyPair) object).getPrivate();
                }
                if (object instanceof PKCS8EncryptedPrivateKeyInfo) {
                    throw new IllegalArgumentException("pem: encrypted private key (expected: unencrypted PKCS#8)");
                }
                // Other blocks (e.g. EC PARAMETERS written by openssl ecparam) are skipped.
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException) {
                throw (IllegalArgumentException) e;
            }
            throw new IllegalArgumentException("pem: malformed private key", e);
        }
        throw new IllegalArgumentException("pem: no PRIVATE KEY block");
    }

    private static String kind(Object object) {
        return object.getClass().getSimpleName();
    }
}
