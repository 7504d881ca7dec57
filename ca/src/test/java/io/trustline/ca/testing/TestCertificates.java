package io.trustline.ca.testing;

import static java.util.Objects.requireNonNull;

import io.trustline.ca.BouncyCastle;
import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.KeyType;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.TrustBundle;
import io.trustline.ca.X509Svid;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * FOR TESTS ONLY: a throwaway CA and the deliberately broken certificates that receivers must
 * refuse, so other modules' negative tests need no Bouncy Castle of their own. Every method
 * creates fresh keys at run time; nothing here is ever a production credential.
 *
 * <pre>{@code
 * TestCertificates pki = TestCertificates.create("example.org");
 * X509Svid good = pki.svid(id);
 * X509Svid expired = pki.expiredSvid(id);
 * X509Svid foreign = TestCertificates.create("example.org").svid(id); // another CA, same domain
 * }</pre>
 */
public final class TestCertificates {

    private static final Duration LIFETIME = Duration.ofHours(1);

    private final CertificateAuthority ca;
    private final KeyPair rootKeyPair;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    private TestCertificates(CertificateAuthority ca, KeyPair rootKeyPair, Clock clock) {
        this.ca = ca;
        this.rootKeyPair = rootKeyPair;
        this.clock = clock;
    }

    /** Creates a new root CA (EC P-256) for a trust domain, reading the system clock. */
    public static TestCertificates create(String trustDomain) {
        return create(trustDomain, Clock.systemUTC());
    }

    /** Creates a new root CA (EC P-256) for a trust domain with the given clock. */
    public static TestCertificates create(String trustDomain, Clock clock) {
        requireNonNull(clock, "clock");
        final KeyPair rootKeyPair = KeyType.EC_P256.generate();
        final CertificateAuthority ca = CertificateAuthority.builder(trustDomain)
                .clock(clock)
                .rootKeyPair(rootKeyPair)
                .build();
        return new TestCertificates(ca, rootKeyPair, clock);
    }

    /** Returns the CA; it can also serve as an in-process CA server's authority. */
    public CertificateAuthority ca() {
        return ca;
    }

    /** Returns the CA's trust bundle. */
    public TrustBundle bundle() {
        return ca.trustBundle();
    }

    /** Returns a valid SVID (1 h). */
    public X509Svid svid(SpiffeId id) {
        return ca.issueOffline(id, LIFETIME);
    }

    /** Returns an SVID that expired an hour before now (by this CA's clock). */
    public X509Svid expiredSvid(SpiffeId id) {
        return ca.withClock(Clock.offset(clock, LIFETIME.multipliedBy(-2))).issueOffline(id, LIFETIME);
    }

    /** Returns an SVID that becomes valid only in an hour. */
    public X509Svid notYetValidSvid(SpiffeId id) {
        final Instant now = clock.instant();
        return leaf(List.of(uri(id)), false, now.plus(LIFETIME), now.plus(LIFETIME.multipliedBy(2)), id);
    }

    /** Returns a CA certificate (cA=true, keyCertSign) carrying a SPIFFE ID, used as if it were a leaf. */
    public X509Svid caCertificateAsLeaf(SpiffeId id) {
        final Instant now = clock.instant();
        return leaf(List.of(uri(id)), true, now.minusSeconds(10), now.plus(LIFETIME), id);
    }

    /** Returns a leaf with two URI SANs; the record names {@code first}. */
    public X509Svid twoUriSans(SpiffeId first, SpiffeId second) {
        final Instant now = clock.instant();
        return leaf(List.of(uri(first), uri(second)), false, now.minusSeconds(10), now.plus(LIFETIME), first);
    }

    /** Returns a leaf with no URI SAN (only a DNS name); the record names {@code claimed}. */
    public X509Svid noUriSan(SpiffeId claimed) {
        final Instant now = clock.instant();
        return leaf(
                List.of(new GeneralName(GeneralName.dNSName, "workload.example")),
                false,
                now.minusSeconds(10),
                now.plus(LIFETIME),
                claimed);
    }

    /**
     * Returns a leaf that names this CA as its issuer (same subject, same key identifier) but is
     * signed by another key: only a signature check can tell it apart.
     */
    public X509Svid forgedSignature(SpiffeId id) {
        final Instant now = clock.instant();
        return leaf(List.of(uri(id)), false, now.minusSeconds(10), now.plus(LIFETIME), id, KeyType.EC_P256.generate());
    }

    /** Returns a leaf whose extended key usage is serverAuth only: it may serve, but not call. */
    public X509Svid serverAuthOnly(SpiffeId id) {
        final Instant now = clock.instant();
        return leaf(
                List.of(uri(id)),
                false,
                now.minusSeconds(10),
                now.plus(LIFETIME),
                id,
                rootKeyPair,
                KeyPurposeId.id_kp_serverAuth);
    }

    /** Returns a leaf whose extended key usage is clientAuth only: it may call, but not serve. */
    public X509Svid clientAuthOnly(SpiffeId id) {
        final Instant now = clock.instant();
        return leaf(
                List.of(uri(id)),
                false,
                now.minusSeconds(10),
                now.plus(LIFETIME),
                id,
                rootKeyPair,
                KeyPurposeId.id_kp_clientAuth);
    }

    private static GeneralName uri(SpiffeId id) {
        return new GeneralName(GeneralName.uniformResourceIdentifier, id.toString());
    }

    private X509Svid leaf(List<GeneralName> names, boolean isCa, Instant notBefore, Instant notAfter, SpiffeId id) {
        return leaf(names, isCa, notBefore, notAfter, id, rootKeyPair);
    }

    private X509Svid leaf(
            List<GeneralName> names, boolean isCa, Instant notBefore, Instant notAfter, SpiffeId id, KeyPair signer) {
        return leaf(
                names,
                isCa,
                notBefore,
                notAfter,
                id,
                signer,
                KeyPurposeId.id_kp_serverAuth,
                KeyPurposeId.id_kp_clientAuth);
    }

    private X509Svid leaf(
            List<GeneralName> names,
            boolean isCa,
            Instant notBefore,
            Instant notAfter,
            SpiffeId id,
            KeyPair signer,
            KeyPurposeId... purposes) {
        final KeyPair keyPair = KeyType.EC_P256.generate();
        final X509Certificate issuer = ca.signingCertificate();
        try {
            final X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                            X500Name.getInstance(
                                    issuer.getSubjectX500Principal().getEncoded()),
                            new BigInteger(128, random).setBit(0),
                            Date.from(notBefore),
                            Date.from(notAfter),
                            new X500Name("O=Trustline Test"),
                            keyPair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa))
                    .addExtension(
                            Extension.keyUsage,
                            true,
                            new KeyUsage(
                                    isCa
                                            ? KeyUsage.keyCertSign | KeyUsage.digitalSignature
                                            : KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes))
                    .addExtension(
                            Extension.subjectAlternativeName,
                            false,
                            new GeneralNames(names.toArray(new GeneralName[0])));
            final X509Certificate certificate = new JcaX509CertificateConverter()
                    .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA")
                            .setProvider(BouncyCastle.PROVIDER)
                            .build(signer.getPrivate())));
            return new X509Svid(id, List.of(certificate), keyPair.getPrivate(), ca.trustBundle());
        } catch (Exception e) {
            throw new IllegalStateException("cannot build test certificate", e);
        }
    }
}
