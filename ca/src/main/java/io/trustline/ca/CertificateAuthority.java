package io.trustline.ca;

import static java.util.Objects.requireNonNull;

import io.trustline.ca.CsrRejectedException.Reason;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.jspecify.annotations.Nullable;

/**
 * The CA core: issues X.509-SVIDs from PKCS#10 CSRs (or offline, with a fresh key pair) under a
 * root it created or an operator-supplied root or intermediate. In memory, no I/O; thread-safe.
 *
 * <p>Every issuance is template -> sign -> validate the issued certificate again with {@link
 * SvidValidator} -> return, as SPIRE's CA does, so a misconfigured issuer (say, name constraints
 * that exclude our URI SANs) fails at issuance rather than in every peer's handshake.
 *
 * <p>The SPIFFE ID always comes from the caller's authorisation; names in the CSR are never copied.
 * An issued leaf carries exactly one URI SAN, is not a CA, has key usage digitalSignature
 * (critical) and EKU serverAuth + clientAuth, a 128-bit random serial, a not-before {@link
 * #BACKDATE} in the past, and a lifetime of the requested TTL (default {@link #DEFAULT_TTL}) capped
 * by the maximum TTL and by the remaining lifetime of the CA certificates.
 */
public final class CertificateAuthority {

    /** The lifetime of an SVID when the caller asks for none. */
    public static final Duration DEFAULT_TTL = Duration.ofHours(1);
    /** The longest SVID lifetime unless configured otherwise. */
    public static final Duration DEFAULT_MAX_TTL = Duration.ofHours(24);
    /** The lifetime of a root created by {@link #createRoot}, as Istio's self-signed root. */
    public static final Duration DEFAULT_ROOT_TTL = Duration.ofDays(3650);
    /** How far in the past not-before is set, so that peers whose clocks lag accept a new SVID. */
    public static final Duration BACKDATE = Duration.ofSeconds(10);
    /** The path of the CA server's own SPIFFE ID; never issued to a workload. */
    public static final String SERVER_PATH = "/trustline/ca";

    private static final int SERIAL_BITS = 128;
    private static final int MIN_RSA_BITS = 2048;
    private static final int MAX_RSA_BITS = 8192;
    private static final int MAX_CSR_BYTES = 16 * 1024;

    private final String trustDomain;
    private final List<X509Certificate> signingChain;
    private final X509Certificate signingCertificate;
    private final List<X509Certificate> intermediates;
    private final PrivateKey signingKey;
    private final String signatureAlgorithm;
    private final TrustBundle bundle;
    private final Clock clock;
    private final Duration defaultTtl;
    private final Duration maxTtl;
    private final Instant issuerNotAfter;
    private final X500Name issuerName;
    private final AuthorityKeyIdentifier authorityKeyIdentifier;
    private final SvidValidator validator;
    private final SecureRandom random = new SecureRandom();

    CertificateAuthority(
            String trustDomain,
            List<X509Certificate> signingChain,
            PrivateKey signingKey,
            TrustBundle bundle,
            Clock clock,
            Duration defaultTtl,
            Duration maxTtl) {
        this.trustDomain = trustDomain;
        this.signingChain = List.copyOf(signingChain);
        signingCertificate = signingChain.get(0);
        // What a workload sends after its leaf: every CA certificate except the roots peers hold.
        intermediates =
                signingChain.stream().filter(c -> !bundle.roots().contains(c)).toList();
        this.signingKey = signingKey;
        signatureAlgorithm = KeyType.of(signingKey).signatureAlgorithm();
        this.bundle = bundle;
        this.clock = clock;
        this.defaultTtl = defaultTtl;
        this.maxTtl = maxTtl;
        issuerNotAfter = issuerNotAfter(signingChain, bundle);
        issuerName = X500Name.getInstance(
                signingCertificate.getSubjectX500Principal().getEncoded());
        authorityKeyIdentifier = authorityKeyIdentifier(signingCertificate);
        validator = SvidValidator.withBouncyCastle(bundle, trustDomain, clock);
    }

    // The issuer's own subjectKeyIdentifier when it has one (an operator's CA may derive it
    // differently from us), so path builders can match AKI to SKI; key id only, no issuer+serial,
    // which would tie leaves to one issuer certificate and hinder re-issuing it.
    private static AuthorityKeyIdentifier authorityKeyIdentifier(X509Certificate issuer) {
        final byte[] ski = issuer.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        if (ski != null) {
            return new AuthorityKeyIdentifier(SubjectKeyIdentifier.getInstance(
                            ASN1OctetString.getInstance(ski).getOctets())
                    .getKeyIdentifier());
        }
        try {
            return new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(issuer.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("ca certificate: cannot derive its key identifier", e);
        }
    }

    /**
     * Creates a CA with a new self-signed root for a trust domain, with the default TTLs.
     *
     * @throws IllegalArgumentException if the trust domain is not valid
     */
    public static CertificateAuthority createRoot(String trustDomain, KeyType keyType, Clock clock) {
        return builder(trustDomain).keyType(keyType).clock(clock).build();
    }

    /** Returns a builder for a CA of the given trust domain. */
    public static CertificateAuthorityBuilder builder(String trustDomain) {
        return new CertificateAuthorityBuilder(trustDomain);
    }

    private static Instant issuerNotAfter(List<X509Certificate> signingChain, TrustBundle bundle) {
        Instant earliest = Instant.MAX;
        final List<X509Certificate> issuers = new ArrayList<>(signingChain);
        final X509Certificate top = signingChain.get(signingChain.size() - 1);
        for (X509Certificate root : bundle.roots()) {
            if (root.getSubjectX500Principal().equals(top.getIssuerX500Principal())) {
                issuers.add(root);
            }
        }
        for (X509Certificate issuer : issuers) {
            final Instant notAfter = issuer.getNotAfter().toInstant();
            if (notAfter.isBefore(earliest)) {
                earliest = notAfter;
            }
        }
        return earliest;
    }

    /** Returns the trust domain this CA issues for. */
    public String trustDomain() {
        return trustDomain;
    }

    /** Returns the trust bundle: the roots a workload of this trust domain should trust. */
    public TrustBundle trustBundle() {
        return bundle;
    }

    /** Returns the certificate this CA signs with (the root itself, or an intermediate). */
    public X509Certificate signingCertificate() {
        return signingCertificate;
    }

    /** Returns the CA certificates a workload sends after its leaf; empty when the CA signs as root. */
    public List<X509Certificate> intermediates() {
        return intermediates;
    }

    /** Returns the clock this CA reads the time from. */
    public Clock clock() {
        return clock;
    }

    /** Returns the TTL of an SVID whose request names none. */
    public Duration defaultTtl() {
        return defaultTtl;
    }

    /** Returns the longest TTL this CA grants. */
    public Duration maxTtl() {
        return maxTtl;
    }

    /** Returns the SPIFFE ID the CA server presents, {@code spiffe://<trust-domain>/trustline/ca}. */
    public SpiffeId serverId() {
        return SpiffeId.parse("spiffe://" + trustDomain + SERVER_PATH);
    }

    /**
     * Returns this CA reading time from another clock, for example one in the past to issue an
     * SVID that has already expired in a test.
     */
    public CertificateAuthority withClock(Clock clock) {
        requireNonNull(clock, "clock");
        return new CertificateAuthority(trustDomain, signingChain, signingKey, bundle, clock, defaultTtl, maxTtl);
    }

    /**
     * Verifies a DER-encoded PKCS#10 CSR for an authorised SPIFFE ID: well-formed, a strong key (EC
     * P-256/P-384, or RSA of 2048 to 8192 bits), a signature that verifies with its own key (proof of
     * possession), and no requested subject alternative name other than exactly {@code
     * authorisedId}. The ID must be one this CA issues (its trust domain, a path, not reserved).
     *
     * @throws CsrRejectedException naming the reason
     */
    public VerifiedCsr verifyCsr(byte[] csrDer, SpiffeId authorisedId) throws CsrRejectedException {
        requireNonNull(csrDer, "csrDer");
        requireNonNull(authorisedId, "authorisedId");
        checkIssuable(authorisedId);
        if (csrDer.length == 0 || csrDer.length > MAX_CSR_BYTES) {
            throw new CsrRejectedException(
                    Reason.MALFORMED, "csr: " + csrDer.length + " bytes (expected: 1.." + MAX_CSR_BYTES + ")");
        }
        final JcaPKCS10CertificationRequest csr;
        try {
            csr = new JcaPKCS10CertificationRequest(csrDer).setProvider(BouncyCastle.PROVIDER);
        } catch (IOException | RuntimeException e) {
            throw new CsrRejectedException(Reason.MALFORMED, "csr: not a DER-encoded PKCS#10 request", e);
        }
        final SubjectPublicKeyInfo publicKeyInfo = csr.getSubjectPublicKeyInfo();
        // Cheap checks first, so a flood of bad requests costs no signature verification.
        checkKeyStrength(publicKeyInfo);
        checkRequestedNames(csr, authorisedId);
        try {
            final PublicKey publicKey = csr.getPublicKey();
            final boolean valid = csr.isSignatureValid(new JcaContentVerifierProviderBuilder()
                    .setProvider(BouncyCastle.PROVIDER)
                    .build(publicKey));
            if (!valid) {
                throw new CsrRejectedException(
                        Reason.BAD_SIGNATURE, "csr: signature does not verify with its public key");
            }
        } catch (GeneralSecurityException | OperatorCreationException | PKCSException | RuntimeException e) {
            throw new CsrRejectedException(Reason.BAD_SIGNATURE, "csr: signature cannot be verified", e);
        }
        return new VerifiedCsr(authorisedId, publicKeyInfo);
    }

    private void checkIssuable(SpiffeId id) throws CsrRejectedException {
        if (!id.isMemberOf(trustDomain)) {
            throw new CsrRejectedException(
                    Reason.ID_NOT_ALLOWED, "spiffe id " + id + " is not in trust domain " + trustDomain);
        }
        if (!id.hasPath()) {
            throw new CsrRejectedException(Reason.ID_NOT_ALLOWED, "spiffe id " + id + " names no workload");
        }
        if (id.isReserved()) {
            throw new CsrRejectedException(
                    Reason.ID_NOT_ALLOWED, "spiffe id " + id + " is reserved for Trustline itself");
        }
    }

    private static void checkKeyStrength(SubjectPublicKeyInfo info) throws CsrRejectedException {
        final ASN1ObjectIdentifier algorithm = info.getAlgorithm().getAlgorithm();
        if (X9ObjectIdentifiers.id_ecPublicKey.equals(algorithm)) {
            final ASN1Encodable parameters = info.getAlgorithm().getParameters();
            if (!SECObjectIdentifiers.secp256r1.equals(parameters)
                    && !SECObjectIdentifiers.secp384r1.equals(parameters)) {
                throw new CsrRejectedException(
                        Reason.WEAK_KEY, "csr: EC key on an unknown curve (expected: P-256 or P-384)");
            }
            return;
        }
        if (PKCSObjectIdentifiers.rsaEncryption.equals(algorithm)) {
            final int bits;
            try {
                bits = org.bouncycastle.asn1.pkcs.RSAPublicKey.getInstance(info.parsePublicKey())
                        .getModulus()
                        .bitLength();
            } catch (IOException | RuntimeException e) {
                throw new CsrRejectedException(Reason.MALFORMED, "csr: malformed RSA public key", e);
            }
            if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
                throw new CsrRejectedException(
                        Reason.WEAK_KEY,
                        "csr: RSA key of " + bits + " bits (expected: " + MIN_RSA_BITS + ".." + MAX_RSA_BITS + ")");
            }
            return;
        }
        throw new CsrRejectedException(
                Reason.WEAK_KEY, "csr: key algorithm " + algorithm.getId() + " (expected: EC P-256/P-384 or RSA)");
    }

    private static void checkRequestedNames(JcaPKCS10CertificationRequest csr, SpiffeId authorisedId)
            throws CsrRejectedException {
        final GeneralNames names;
        try {
            final Extensions requested = csr.getRequestedExtensions();
            names = requested == null ? null : GeneralNames.fromExtensions(requested, Extension.subjectAlternativeName);
        } catch (RuntimeException e) {
            throw new CsrRejectedException(Reason.MALFORMED, "csr: malformed extension request", e);
        }
        if (names == null) {
            return;
        }
        final GeneralName[] all = names.getNames();
        if (all.length != 1 || all[0].getTagNo() != GeneralName.uniformResourceIdentifier) {
            throw new CsrRejectedException(
                    Reason.SUBJECT_ALT_NAMES,
                    "csr: requests " + all.length + " subject alternative names "
                            + "(expected: none, or exactly one URI SAN with the authorised SPIFFE ID)");
        }
        final String requested = all[0].getName().toString();
        if (!requested.equals(authorisedId.toString())) {
            throw new CsrRejectedException(
                    Reason.ID_MISMATCH,
                    "csr: requests " + requested + " but the caller is authorised for " + authorisedId);
        }
    }

    /**
     * Signs a verified CSR.
     *
     * @param ttl the requested lifetime; {@code null} or zero for the default
     * @throws IllegalStateException if the CA certificate has expired or the issued certificate
     *     fails validation
     */
    public X509Certificate sign(VerifiedCsr csr, @Nullable Duration ttl) {
        requireNonNull(csr, "csr");
        return issue(csr.id(), csr.publicKey(), ttl, List.of(), clock.instant());
    }

    /**
     * Signs a verified CSR that renews {@code current}, the caller's valid SVID for the same ID: the new certificate
     * lives no longer than {@code current} did (so a renewal can never stretch the lifetime the identity was first
     * given, whatever it asks for) and carries the same {@linkplain Attestation attestation time}.
     *
     * @param ttl the requested lifetime; {@code null} or zero for the default, and capped as above
     * @throws IllegalArgumentException if {@code current} is for another ID than {@code csr}
     */
    public X509Certificate renew(VerifiedCsr csr, @Nullable Duration ttl, X509Certificate current) {
        requireNonNull(csr, "csr");
        requireNonNull(current, "current");
        final Instant currentIssued = current.getNotBefore().toInstant().plus(BACKDATE);
        final Duration currentLifetime =
                Duration.between(currentIssued, current.getNotAfter().toInstant());
        Duration lifetime = ttl == null || ttl.isZero() ? defaultTtl : ttl;
        if (lifetime.compareTo(currentLifetime) > 0) {
            lifetime = currentLifetime;
        }
        if (lifetime.isNegative() || lifetime.isZero()) {
            throw new IllegalArgumentException("current certificate has no lifetime to renew");
        }
        return issue(csr.id(), csr.publicKey(), lifetime, List.of(), attestedAt(current));
    }

    /**
     * When the holder of {@code svid} was attested: its {@linkplain Attestation attestation extension}, or for an
     * SVID from a CA version without it, when that SVID was issued.
     */
    public static Instant attestedAt(X509Certificate svid) {
        return Attestation.attestedAt(svid)
                .orElseGet(() -> svid.getNotBefore().toInstant().plus(BACKDATE));
    }

    /**
     * Verifies and signs a CSR in one step; see {@link #verifyCsr} and {@link #sign}.
     *
     * @throws CsrRejectedException if the CSR is refused
     */
    public X509Certificate signCsr(byte[] csrDer, SpiffeId authorisedId, @Nullable Duration ttl)
            throws CsrRejectedException {
        return sign(verifyCsr(csrDer, authorisedId), ttl);
    }

    /**
     * Issues an SVID with a fresh EC P-256 key pair made here: for tests, bootstrapping and the CLI's
     * offline {@code issue}. Over the network use {@link #signCsr} so the key never travels.
     *
     * @param ttl the requested lifetime; {@code null} or zero for the default
     * @throws IllegalArgumentException if this CA does not issue {@code id}
     */
    public X509Svid issueOffline(SpiffeId id, @Nullable Duration ttl) {
        requireNonNull(id, "id");
        try {
            checkIssuable(id);
        } catch (CsrRejectedException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return issueWithNewKey(id, ttl, List.of());
    }

    /**
     * Issues the CA server's own serving SVID ({@link #serverId()}), with the given DNS names as
     * extra SANs so that TLS clients verifying host names can connect too.
     */
    public X509Svid issueServerSvid(@Nullable Duration ttl, List<String> dnsNames) {
        requireNonNull(dnsNames, "dnsNames");
        return issueWithNewKey(serverId(), ttl, dnsNames);
    }

    private X509Svid issueWithNewKey(SpiffeId id, @Nullable Duration ttl, List<String> dnsNames) {
        final KeyPair keyPair = KeyType.EC_P256.generate();
        final X509Certificate leaf = issue(
                id, SubjectPublicKeyInfo.getInstance(keyPair.getPublic().getEncoded()), ttl, dnsNames, clock.instant());
        return new X509Svid(id, chainOf(leaf), keyPair.getPrivate(), bundle);
    }

    /** Returns what a workload presents: the leaf followed by the {@linkplain #intermediates()}. */
    public List<X509Certificate> chainOf(X509Certificate leaf) {
        final List<X509Certificate> chain = new ArrayList<>(1 + intermediates.size());
        chain.add(leaf);
        chain.addAll(intermediates);
        return List.copyOf(chain);
    }

    private X509Certificate issue(
            SpiffeId id,
            SubjectPublicKeyInfo publicKey,
            @Nullable Duration ttl,
            List<String> dnsNames,
            Instant attestedAt) {
        final Instant now = clock.instant();
        final Instant notAfter = notAfter(now, ttl);
        final X509Certificate leaf = sign(template(id, publicKey, now, notAfter, dnsNames, attestedAt));
        validateIssued(leaf, id, publicKey);
        return leaf;
    }

    private Instant notAfter(Instant now, @Nullable Duration ttl) {
        Duration lifetime = ttl == null || ttl.isZero() ? defaultTtl : ttl;
        if (lifetime.isNegative()) {
            throw new IllegalArgumentException("ttl: " + ttl + " (expected: > 0)");
        }
        if (lifetime.compareTo(maxTtl) > 0) {
            lifetime = maxTtl;
        }
        final Instant wanted = now.plus(lifetime);
        if (!issuerNotAfter.isAfter(now)) {
            throw new IllegalStateException("ca certificate expired at " + issuerNotAfter);
        }
        return wanted.isAfter(issuerNotAfter) ? issuerNotAfter : wanted;
    }

    private X509v3CertificateBuilder template(
            SpiffeId id,
            SubjectPublicKeyInfo publicKey,
            Instant now,
            Instant notAfter,
            List<String> dnsNames,
            Instant attestedAt) {
        final X509v3CertificateBuilder builder = new X509v3CertificateBuilder(
                issuerName,
                serial(random),
                Date.from(now.minus(BACKDATE)),
                Date.from(notAfter),
                new X500Name("O=Trustline"),
                publicKey);
        final boolean rsa = PKCSObjectIdentifiers.rsaEncryption.equals(
                publicKey.getAlgorithm().getAlgorithm());
        // keyEncipherment only matters for RSA key exchange in TLS 1.2; EC keys never need it.
        final int keyUsage = rsa ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment : KeyUsage.digitalSignature;
        final GeneralName[] names = new GeneralName[1 + dnsNames.size()];
        names[0] = new GeneralName(GeneralName.uniformResourceIdentifier, id.toString());
        for (int i = 0; i < dnsNames.size(); i++) {
            names[i + 1] = new GeneralName(GeneralName.dNSName, dnsNames.get(i));
        }
        try {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
                        KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                    }))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names))
                    .addExtension(
                            Extension.subjectKeyIdentifier,
                            false,
                            new JcaX509ExtensionUtils().createSubjectKeyIdentifier(publicKey))
                    .addExtension(Extension.authorityKeyIdentifier, false, authorityKeyIdentifier)
                    .addExtension(Attestation.ATTESTED_AT, false, Attestation.encode(attestedAt));
        } catch (CertIOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot build certificate template", e);
        }
        return builder;
    }

    static BigInteger serial(SecureRandom random) {
        // 128 random bits, positive, never zero: unpredictable serials as CA/B BR 7.1 asks.
        BigInteger serial;
        do {
            serial = new BigInteger(SERIAL_BITS, random);
        } while (serial.signum() == 0);
        return serial;
    }

    private X509Certificate sign(X509v3CertificateBuilder template) {
        try {
            final ContentSigner signer = new JcaContentSignerBuilder(signatureAlgorithm)
                    .setProvider(BouncyCastle.PROVIDER)
                    .build(signingKey);
            return new JcaX509CertificateConverter().getCertificate(template.build(signer));
        } catch (OperatorCreationException | CertificateException e) {
            throw new IllegalStateException("signing failed", e);
        }
    }

    private void validateIssued(X509Certificate leaf, SpiffeId id, SubjectPublicKeyInfo publicKey) {
        final List<X509Certificate> chain = chainOf(leaf);
        final SpiffeId validated;
        try {
            validated = validator.validate(chain.toArray(new X509Certificate[0]));
        } catch (SvidValidationException e) {
            throw new IllegalStateException("issued certificate fails validation: " + e.getMessage(), e);
        }
        if (!validated.equals(id)
                || !SubjectPublicKeyInfo.getInstance(leaf.getPublicKey().getEncoded())
                        .equals(publicKey)) {
            throw new IllegalStateException("issued certificate does not match its template");
        }
    }
}
