package io.trustline.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trustline.ca.testing.MutableClock;
import io.trustline.ca.testing.TestCsrs;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class CertificateAuthorityTest {

    private static final SpiffeId ORDERS = SpiffeId.of("example.org", "shop", "orders");

    private final MutableClock clock = MutableClock.startingNow();
    private final CertificateAuthority ca = CertificateAuthority.createRoot("example.org", KeyType.EC_P256, clock);

    @Test
    void issuesAnSvidWithExactlyTheSpiffeProfile() throws Exception {
        final KeyPair keyPair = KeyType.EC_P256.generate();

        final X509Certificate leaf = ca.signCsr(Csrs.create(keyPair, ORDERS), ORDERS, null);

        assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
        assertThat(leaf.getCriticalExtensionOIDs()).contains("2.5.29.15", "2.5.29.19");
        assertThat(leaf.getKeyUsage()).containsExactly(true, false, false, false, false, false, false, false, false);
        assertThat(leaf.getExtendedKeyUsage()).containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
        assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(6, ORDERS.toString()));
        assertThat(leaf.getPublicKey()).isEqualTo(keyPair.getPublic());
        assertThat(leaf.getSerialNumber().bitLength()).isGreaterThan(64);
        assertThat(leaf.getNotBefore().toInstant())
                .isEqualTo(clock.instant()
                        .minus(CertificateAuthority.BACKDATE)
                        .truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        assertThat(Duration.between(
                        leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant()))
                .isEqualTo(CertificateAuthority.DEFAULT_TTL.plus(CertificateAuthority.BACKDATE));
        leaf.verify(ca.signingCertificate().getPublicKey());
    }

    @Test
    void givesEveryCertificateADifferentRandomSerial() {
        final Set<java.math.BigInteger> serials = IntStream.range(0, 20)
                .mapToObj(i -> ca.issueOffline(ORDERS, null).leaf().getSerialNumber())
                .collect(Collectors.toSet());

        assertThat(serials).hasSize(20);
    }

    @Test
    void takesTheIdFromTheAuthorisationWhenTheCsrNamesNone() throws Exception {
        final X509Certificate leaf = ca.signCsr(TestCsrs.csr(KeyType.EC_P256.generate()), ORDERS, null);

        assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(6, ORDERS.toString()));
    }

    @Test
    void capsTheTtlAtTheConfiguredMaximum() {
        final CertificateAuthority capped = CertificateAuthority.builder("example.org")
                .clock(clock)
                .maxTtl(Duration.ofHours(2))
                .build();

        final X509Svid svid = capped.issueOffline(ORDERS, Duration.ofDays(30));

        assertThat(svid.notAfter())
                .isEqualTo(
                        clock.instant().plus(Duration.ofHours(2)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    }

    @Test
    void capsTheTtlAtTheIssuersOwnExpiry() {
        final CertificateAuthority shortLived = CertificateAuthority.builder("example.org")
                .clock(clock)
                .rootTtl(Duration.ofMinutes(30))
                .build();

        final X509Svid svid = shortLived.issueOffline(ORDERS, Duration.ofHours(1));

        assertThat(svid.notAfter())
                .isEqualTo(shortLived.signingCertificate().getNotAfter().toInstant());
    }

    @Test
    void refusesToIssueOnceTheIssuerHasExpired() {
        final CertificateAuthority shortLived = CertificateAuthority.builder("example.org")
                .clock(clock)
                .rootTtl(Duration.ofMinutes(30))
                .build();
        clock.advance(Duration.ofHours(1));

        assertThatThrownBy(() -> shortLived.issueOffline(ORDERS, null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("ca certificate expired at");
    }

    @Test
    void refusesWeakAndUnknownKeys() throws Exception {
        assertThatThrownBy(() -> ca.signCsr(TestCsrs.csr(TestCsrs.rsa(1024)), ORDERS, null))
                .isInstanceOfSatisfying(
                        CsrRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(CsrRejectedException.Reason.WEAK_KEY))
                .hasMessageContaining("RSA key of 1024 bits");
        final KeyPairGenerator secp256k1 = KeyPairGenerator.getInstance("EC", BouncyCastle.PROVIDER);
        secp256k1.initialize(new ECGenParameterSpec("secp256k1"));
        assertThatThrownBy(() -> ca.signCsr(TestCsrs.csr(secp256k1.generateKeyPair()), ORDERS, null))
                .isInstanceOfSatisfying(
                        CsrRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(CsrRejectedException.Reason.WEAK_KEY))
                .hasMessageContaining("unknown curve");
        final KeyPair ed25519 = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        assertThatThrownBy(() -> ca.signCsr(edCsr(ed25519), ORDERS, null))
                .isInstanceOfSatisfying(
                        CsrRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(CsrRejectedException.Reason.WEAK_KEY));
    }

    private static byte[] edCsr(KeyPair keyPair) throws Exception {
        return new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(
                        new org.bouncycastle.asn1.x500.X500Name("CN=ed"), keyPair.getPublic())
                .build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("Ed25519")
                        .setProvider(BouncyCastle.PROVIDER)
                        .build(keyPair.getPrivate()))
                .getEncoded();
    }

    @Test
    void acceptsRsa2048AndAddsKeyEnciphermentForIt() throws Exception {
        final X509Certificate leaf = ca.signCsr(TestCsrs.csr(TestCsrs.rsa(2048)), ORDERS, null);

        assertThat(leaf.getKeyUsage()[0]).isTrue();
        assertThat(leaf.getKeyUsage()[2]).isTrue();
    }

    @Test
    void refusesIdsItDoesNotIssue() throws Exception {
        final byte[] csr = TestCsrs.csr(KeyType.EC_P256.generate());

        assertThatThrownBy(() -> ca.signCsr(csr, SpiffeId.of("other.org", "shop", "orders"), null))
                .hasMessageContaining("is not in trust domain example.org");
        assertThatThrownBy(() -> ca.signCsr(csr, SpiffeId.parse("spiffe://example.org"), null))
                .hasMessageContaining("names no workload");
        assertThatThrownBy(() -> ca.signCsr(csr, ca.serverId(), null)).hasMessageContaining("reserved for Trustline");
    }

    @Test
    void issuesFromAnRsa3072Root() throws Exception {
        final CertificateAuthority rsa = CertificateAuthority.createRoot("example.org", KeyType.RSA_3072, clock);

        final X509Certificate leaf = rsa.signCsr(Csrs.create(KeyType.EC_P256.generate(), ORDERS), ORDERS, null);

        assertThat(leaf.getSigAlgName()).isEqualTo("SHA256withRSA");
        assertThat(new SvidValidator(rsa.trustBundle(), "example.org", clock).validate(new X509Certificate[] {leaf}))
                .isEqualTo(ORDERS);
    }

    @Test
    void signsWithAnOperatorsIntermediateAndSendsItInTheChain() throws Exception {
        // An operator's root signs an intermediate; our CA gets the intermediate and its key.
        final KeyPair rootKeys = KeyType.EC_P256.generate();
        final CertificateAuthority operatorRoot = CertificateAuthority.builder("example.org")
                .clock(clock)
                .rootKeyPair(rootKeys)
                .build();
        final KeyPair intermediateKeys = KeyType.EC_P256.generate();
        final X509Certificate intermediate =
                TestIntermediates.intermediate(operatorRoot.signingCertificate(), rootKeys, intermediateKeys, clock);

        final CertificateAuthority byo = CertificateAuthority.builder("example.org")
                .clock(clock)
                .signingCertificate(
                        List.of(intermediate, operatorRoot.signingCertificate()), intermediateKeys.getPrivate())
                .build();
        final X509Svid svid = byo.issueOffline(ORDERS, null);

        assertThat(byo.trustBundle().roots()).containsExactly(operatorRoot.signingCertificate());
        assertThat(svid.chain()).containsExactly(svid.leaf(), intermediate);
        assertThat(new SvidValidator(byo.trustBundle(), "example.org", clock)
                        .validate(svid.chain().toArray(new X509Certificate[0])))
                .isEqualTo(ORDERS);
    }

    @Test
    void refusesAnOperatorKeyThatDoesNotMatchTheCertificate() {
        final CertificateAuthority other = CertificateAuthority.createRoot("example.org", KeyType.EC_P256, clock);

        assertThatThrownBy(() -> CertificateAuthority.builder("example.org")
                        .signingCertificate(
                                List.of(ca.signingCertificate()),
                                KeyType.EC_P256.generate().getPrivate())
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ca key: does not belong to the ca certificate");
        assertThatThrownBy(() -> CertificateAuthority.builder("example.org")
                        .signingCertificate(
                                List.of(other.issueOffline(ORDERS, null).leaf()),
                                KeyType.EC_P256.generate().getPrivate())
                        .build())
                .hasMessageContaining("is not a CA");
    }

    @Test
    void refusesAnIntermediateWithoutItsRoot() throws Exception {
        final KeyPair rootKeys = KeyType.EC_P256.generate();
        final CertificateAuthority operatorRoot = CertificateAuthority.builder("example.org")
                .clock(clock)
                .rootKeyPair(rootKeys)
                .build();
        final KeyPair intermediateKeys = KeyType.EC_P256.generate();
        final X509Certificate intermediate =
                TestIntermediates.intermediate(operatorRoot.signingCertificate(), rootKeys, intermediateKeys, clock);

        assertThatThrownBy(() -> CertificateAuthority.builder("example.org")
                        .signingCertificate(List.of(intermediate), intermediateKeys.getPrivate())
                        .build())
                .hasMessageContaining("does not end with a self-signed root");
        assertThatThrownBy(() -> CertificateAuthority.builder("example.org")
                        .signingCertificate(List.of(intermediate), intermediateKeys.getPrivate())
                        .bundle(ca.trustBundle())
                        .build())
                .hasMessageContaining("does not validate up to the trust bundle");
    }

    @Test
    void builderNamesTheBadValue() {
        assertThatThrownBy(() -> CertificateAuthority.builder("example.org").maxTtl(Duration.ZERO))
                .hasMessage("maxTtl: PT0S (expected: > 0)");
        assertThatThrownBy(() -> CertificateAuthority.builder("example.org")
                        .maxTtl(Duration.ofMinutes(5))
                        .build())
                .hasMessage("defaultTtl: PT1H (expected: <= maxTtl PT5M)");
    }

    @Test
    void everySvidCarriesItsAttestationTimeAndARenewalKeepsItWithoutOutlivingWhatItRenews() throws Exception {
        final Instant joined = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        final X509Certificate first = ca.signCsr(Csrs.create(KeyType.EC_P256.generate(), ORDERS), ORDERS, null);
        assertThat(first.getNonCriticalExtensionOIDs()).contains(Attestation.ATTESTED_AT.getId());
        assertThat(Attestation.attestedAt(first)).contains(joined);

        clock.advance(Duration.ofMinutes(40));
        final X509Certificate renewed =
                ca.renew(ca.verifyCsr(Csrs.create(KeyType.EC_P256.generate(), ORDERS), ORDERS), ca.maxTtl(), first);

        assertThat(CertificateAuthority.attestedAt(renewed)).isEqualTo(joined);
        assertThat(Duration.between(
                        renewed.getNotBefore().toInstant(),
                        renewed.getNotAfter().toInstant()))
                .isEqualTo(CertificateAuthority.DEFAULT_TTL.plus(CertificateAuthority.BACKDATE));
    }
}
