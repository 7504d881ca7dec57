package io.trustline.ca;

import static java.util.Objects.requireNonNull;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.jspecify.annotations.Nullable;

/**
 * Builds a {@link CertificateAuthority}: either with a new self-signed root (the default), or
 * signing with an operator-supplied root or intermediate ("bring your own CA", {@link
 * #signingCertificate}).
 */
public final class CertificateAuthorityBuilder {

    private static final int KEY_USAGE_KEY_CERT_SIGN = 5;
    private static final int MAX_NAME_LENGTH = 64;

    private final String trustDomain;
    private Clock clock = Clock.systemUTC();
    private KeyType keyType = KeyType.EC_P256;
    private Duration rootTtl = CertificateAuthority.DEFAULT_ROOT_TTL;
    private Duration defaultTtl = CertificateAuthority.DEFAULT_TTL;
    private Duration maxTtl = CertificateAuthority.DEFAULT_MAX_TTL;
    private @Nullable List<X509Certificate> signingChain;
    private @Nullable PrivateKey signingKey;
    private @Nullable TrustBundle bundle;
    private @Nullable KeyPair rootKeyPair;

    CertificateAuthorityBuilder(String trustDomain) {
        this.trustDomain = SpiffeId.checkTrustDomain(trustDomain);
    }

    /** Sets the clock issuance reads the time from. Default: {@link Clock#systemUTC()}. */
    public CertificateAuthorityBuilder clock(Clock clock) {
        this.clock = requireNonNull(clock, "clock");
        return this;
    }

    /** Sets the key type of a new root. Default: {@link KeyType#EC_P256}. */
    public CertificateAuthorityBuilder keyType(KeyType keyType) {
        this.keyType = requireNonNull(keyType, "keyType");
        return this;
    }

    /** Sets the lifetime of a new root. Default: {@link CertificateAuthority#DEFAULT_ROOT_TTL}. */
    public CertificateAuthorityBuilder rootTtl(Duration rootTtl) {
        this.rootTtl = positive("rootTtl", rootTtl);
        return this;
    }

    /** Sets the TTL of SVIDs whose request names none. Default: {@link CertificateAuthority#DEFAULT_TTL}. */
    public CertificateAuthorityBuilder defaultTtl(Duration defaultTtl) {
        this.defaultTtl = positive("defaultTtl", defaultTtl);
        return this;
    }

    /** Sets the longest TTL granted. Default: {@link CertificateAuthority#DEFAULT_MAX_TTL}. */
    public CertificateAuthorityBuilder maxTtl(Duration maxTtl) {
        this.maxTtl = positive("maxTtl", maxTtl);
        return this;
    }

    /**
     * Sets the key pair of a new root, for callers that must store the key themselves (the CA
     * directory). Default: a fresh pair of {@link #keyType}.
     */
    public CertificateAuthorityBuilder rootKeyPair(KeyPair rootKeyPair) {
        this.rootKeyPair = requireNonNull(rootKeyPair, "rootKeyPair");
        return this;
    }

    /**
     * Signs with an existing CA certificate and its key instead of creating a root.
     *
     * @param chain the signing certificate first, then its issuers; it may end with the root, which
     *     then goes into the trust bundle
     * @param key the private key of {@code chain.get(0)}
     */
    public CertificateAuthorityBuilder signingCertificate(List<X509Certificate> chain, PrivateKey key) {
        requireNonNull(chain, "chain");
        requireNonNull(key, "key");
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("chain: empty (expected: the signing certificate first)");
        }
        signingChain = List.copyOf(chain);
        signingKey = key;
        return this;
    }

    /**
     * Sets the trust bundle. Default: the root that the signing chain ends with. Required when an
     * intermediate is supplied without its root; holds extra roots during a rotation.
     */
    public CertificateAuthorityBuilder bundle(TrustBundle bundle) {
        this.bundle = requireNonNull(bundle, "bundle");
        return this;
    }

    /**
     * Builds the CA.
     *
     * @throws IllegalArgumentException if the configuration is inconsistent, e.g. the key does not
     *     belong to the certificate or the chain does not lead to a root of the bundle
     */
    public CertificateAuthority build() {
        if (defaultTtl.compareTo(maxTtl) > 0) {
            throw new IllegalArgumentException("defaultTtl: " + defaultTtl + " (expected: <= maxTtl " + maxTtl + ")");
        }
        if (signingChain == null || signingKey == null) {
            final KeyPair keyPair = rootKeyPair == null ? keyType.generate() : rootKeyPair;
            checkKeyStrength(keyPair.getPrivate());
            final X509Certificate root = selfSignedRoot(keyPair);
            final TrustBundle roots = bundle == null ? TrustBundle.of(List.of(root)) : bundle.withRoot(root);
            return new CertificateAuthority(
                    trustDomain, List.of(root), keyPair.getPrivate(), roots, clock, defaultTtl, maxTtl);
        }
        return bringYourOwn(signingChain, signingKey);
    }

    private CertificateAuthority bringYourOwn(List<X509Certificate> signingChain, PrivateKey signingKey) {
        final X509Certificate signer = signingChain.get(0);
        checkCaCertificate(signer);
        checkKeyStrength(signingKey);
        checkKeyMatches(signer, signingKey);
        final List<X509Certificate> chain = new ArrayList<>(signingChain);
        TrustBundle roots = bundle;
        final X509Certificate last = chain.get(chain.size() - 1);
        if (isSelfSigned(last)) {
            roots = roots == null ? TrustBundle.of(List.of(last)) : roots.withRoot(last);
        }
        if (roots == null) {
            throw new IllegalArgumentException(
                    "ca chain: does not end with a self-signed root (expected: the chain up to the root, or a bundle)");
        }
        checkChainsToBundle(chain, roots);
        final Instant now = clock.instant();
        if (signer.getNotAfter().toInstant().isBefore(now)) {
            throw new IllegalArgumentException(
                    "ca certificate: expired at " + signer.getNotAfter().toInstant());
        }
        return new CertificateAuthority(trustDomain, chain, signingKey, roots, clock, defaultTtl, maxTtl);
    }

    private static void checkCaCertificate(X509Certificate certificate) {
        if (certificate.getBasicConstraints() < 0) {
            throw new IllegalArgumentException("ca certificate: " + certificate.getSubjectX500Principal()
                    + " is not a CA (basicConstraints cA is false)");
        }
        final boolean[] keyUsage = certificate.getKeyUsage();
        if (keyUsage != null && (keyUsage.length <= KEY_USAGE_KEY_CERT_SIGN || !keyUsage[KEY_USAGE_KEY_CERT_SIGN])) {
            throw new IllegalArgumentException(
                    "ca certificate: " + certificate.getSubjectX500Principal() + " lacks keyUsage keyCertSign");
        }
    }

    private static void checkKeyStrength(PrivateKey key) {
        if (key instanceof RSAPrivateKey) {
            final int bits = ((RSAPrivateKey) key).getModulus().bitLength();
            if (bits < 2048) {
                throw new IllegalArgumentException("ca key: RSA of " + bits + " bits (expected: >= 2048)");
            }
        } else if (key instanceof ECPrivateKey) {
            final int bits = ((ECPrivateKey) key).getParams().getOrder().bitLength();
            if (bits < 256) {
                throw new IllegalArgumentException("ca key: EC of " + bits + " bits (expected: P-256 or larger)");
            }
        } else {
            throw new IllegalArgumentException("ca key: " + key.getAlgorithm() + " (expected: EC or RSA)");
        }
    }

    private static void checkKeyMatches(X509Certificate certificate, PrivateKey key) {
        final String algorithm = KeyType.of(key).signatureAlgorithm();
        final byte[] probe = "trustline key probe".getBytes(StandardCharsets.US_ASCII);
        try {
            final Signature signer = Signature.getInstance(algorithm, BouncyCastle.PROVIDER);
            signer.initSign(key);
            signer.update(probe);
            final byte[] signature = signer.sign();
            final Signature verifier = Signature.getInstance(algorithm, BouncyCastle.PROVIDER);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            if (verifier.verify(signature)) {
                return;
            }
        } catch (GeneralSecurityException e) {
            // The key cannot sign for this certificate's key type: the same answer as a mismatch.
        }
        throw new IllegalArgumentException(
                "ca key: does not belong to the ca certificate " + certificate.getSubjectX500Principal());
    }

    private static boolean isSelfSigned(X509Certificate certificate) {
        if (!certificate.getSubjectX500Principal().equals(certificate.getIssuerX500Principal())) {
            return false;
        }
        try {
            certificate.verify(certificate.getPublicKey(), BouncyCastle.PROVIDER);
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private void checkChainsToBundle(List<X509Certificate> chain, TrustBundle roots) {
        final List<X509Certificate> path =
                chain.stream().filter(c -> !roots.roots().contains(c)).collect(Collectors.toList());
        if (path.isEmpty()) {
            return;
        }
        try {
            final PKIXParameters parameters = new PKIXParameters(
                    roots.roots().stream().map(r -> new TrustAnchor(r, null)).collect(Collectors.toSet()));
            parameters.setRevocationEnabled(false);
            parameters.setDate(Date.from(clock.instant()));
            CertPathValidator.getInstance("PKIX", BouncyCastle.PROVIDER)
                    .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), parameters);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    "ca chain: does not validate up to the trust bundle: " + e.getMessage(), e);
        }
    }

    private X509Certificate selfSignedRoot(KeyPair keyPair) {
        final Instant now = clock.instant();
        final SecureRandom random = new SecureRandom();
        // A random suffix keeps two roots of one trust domain apart during a rotation: PKIX picks
        // anchors by subject name.
        final byte[] suffix = new byte[4];
        random.nextBytes(suffix);
        final X500Name name = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, "Trustline")
                .addRDN(BCStyle.OU, truncate(trustDomain))
                .addRDN(BCStyle.CN, "Trustline Root CA " + HexFormat.of().formatHex(suffix))
                .build();
        final BigInteger serial = CertificateAuthority.serial(random);
        try {
            final JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            final X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                            name,
                            serial,
                            Date.from(now.minus(CertificateAuthority.BACKDATE)),
                            Date.from(now.plus(rootTtl)),
                            name,
                            keyPair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(
                            Extension.subjectKeyIdentifier,
                            false,
                            extensions.createSubjectKeyIdentifier(keyPair.getPublic()))
                    // X.509-SVID spec 3.2: a signing certificate should be an SVID with the trust domain's ID.
                    .addExtension(
                            Extension.subjectAlternativeName,
                            false,
                            new GeneralNames(new GeneralName(
                                    GeneralName.uniformResourceIdentifier,
                                    SpiffeId.ofTrustDomain(trustDomain).toString())));
            return new JcaX509CertificateConverter()
                    .getCertificate(builder.build(new JcaContentSignerBuilder(
                                    KeyType.of(keyPair.getPrivate()).signatureAlgorithm())
                            .setProvider(BouncyCastle.PROVIDER)
                            .build(keyPair.getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException("cannot create root certificate", e);
        }
    }

    private static String truncate(String value) {
        return value.length() <= MAX_NAME_LENGTH ? value : value.substring(0, MAX_NAME_LENGTH);
    }

    private static Duration positive(String name, Duration value) {
        requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
        }
        return value;
    }
}
