package io.trustline.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trustline.ca.SvidValidationException.Reason;
import io.trustline.ca.testing.MutableClock;
import io.trustline.ca.testing.TestCertificates;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SvidValidatorTest {

    private static final SpiffeId ORDERS = SpiffeId.of("example.org", "shop", "orders");

    private final MutableClock clock = MutableClock.startingNow();
    private final TestCertificates pki = TestCertificates.create("example.org", clock);
    private final SvidValidator validator = new SvidValidator(pki.bundle(), "example.org", clock);

    private static X509Certificate[] chain(X509Svid svid) {
        return svid.chain().toArray(new X509Certificate[0]);
    }

    private void assertRefused(X509Svid svid, Reason reason, String message) {
        assertThatThrownBy(() -> validator.validate(chain(svid)))
                .isInstanceOfSatisfying(
                        SvidValidationException.class,
                        e -> assertThat(e.reason()).isEqualTo(reason))
                .hasMessageContaining(message);
    }

    @Test
    void acceptsAValidSvidAndReturnsItsId() throws Exception {
        assertThat(validator.validate(chain(pki.svid(ORDERS)))).isEqualTo(ORDERS);
    }

    @Test
    void theCasBouncyCastleVariantAcceptsAndRefusesExactlyAsTheJdkOne() throws Exception {
        final SvidValidator atTheCa = SvidValidator.withBouncyCastle(pki.bundle(), "example.org", clock);
        final List<X509Certificate> withRoot = new ArrayList<>(pki.svid(ORDERS).chain());
        withRoot.add(pki.bundle().roots().get(0));
        for (SvidValidator v : List.of(validator, atTheCa)) {
            assertThat(v.validate(chain(pki.svid(ORDERS)))).isEqualTo(ORDERS);
            assertThat(v.validate(withRoot.toArray(new X509Certificate[0]))).isEqualTo(ORDERS);
            for (X509Svid refused : List.of(
                    TestCertificates.create("example.org", clock).svid(ORDERS),
                    pki.forgedSignature(ORDERS),
                    pki.expiredSvid(ORDERS))) {
                assertThatThrownBy(() -> v.validate(chain(refused)))
                        .isInstanceOfSatisfying(
                                SvidValidationException.class,
                                e -> assertThat(e.reason()).isIn(Reason.UNTRUSTED, Reason.EXPIRED));
            }
        }
    }

    @Test
    void acceptsAChainThatIncludesTheRoot() throws Exception {
        final List<X509Certificate> withRoot = new ArrayList<>(pki.svid(ORDERS).chain());
        withRoot.add(pki.bundle().roots().get(0));

        assertThat(validator.validate(withRoot.toArray(new X509Certificate[0]))).isEqualTo(ORDERS);
    }

    @Test
    void refusesACertificateFromAnotherCaOfTheSameTrustDomain() {
        assertRefused(
                TestCertificates.create("example.org", clock).svid(ORDERS),
                Reason.UNTRUSTED,
                "does not chain to the trust bundle");
    }

    @Test
    void refusesACertificateNamingTheRightIssuerButSignedByAnotherKey() {
        assertRefused(pki.forgedSignature(ORDERS), Reason.UNTRUSTED, "does not chain to the trust bundle");
    }

    @Test
    void refusesAnExpiredCertificate() {
        assertRefused(pki.expiredSvid(ORDERS), Reason.EXPIRED, "expired at");
    }

    @Test
    void refusesACertificateOnceTheClockPassesItsExpiry() throws Exception {
        final X509Svid svid = pki.svid(ORDERS);
        assertThat(validator.validate(chain(svid))).isEqualTo(ORDERS);

        clock.advance(Duration.ofHours(2));

        assertRefused(svid, Reason.EXPIRED, "expired at");
    }

    @Test
    void refusesACertificateNotValidYet() {
        assertRefused(pki.notYetValidSvid(ORDERS), Reason.NOT_YET_VALID, "is not valid before");
    }

    @Test
    void refusesTwoUriSans() {
        assertRefused(
                pki.twoUriSans(ORDERS, SpiffeId.of("example.org", "shop", "admin")),
                Reason.URI_SAN_COUNT,
                "leaf has 2 URI SANs");
    }

    @Test
    void refusesNoUriSan() {
        assertRefused(pki.noUriSan(ORDERS), Reason.URI_SAN_COUNT, "leaf has 0 URI SANs");
    }

    @Test
    void refusesACaCertificateAsLeaf() {
        assertRefused(pki.caCertificateAsLeaf(ORDERS), Reason.NOT_A_LEAF, "is a CA certificate");
    }

    @Test
    void refusesAnIdOfAnotherTrustDomain() throws Exception {
        final TestCertificates other = TestCertificates.create("other.org", clock);
        final SvidValidator trustsBoth =
                new SvidValidator(pki.bundle().withRoot(other.bundle().roots().get(0)), "example.org", clock);

        assertThatThrownBy(() -> trustsBoth.validate(chain(other.svid(SpiffeId.of("other.org", "shop", "orders")))))
                .isInstanceOfSatisfying(
                        SvidValidationException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_TRUST_DOMAIN))
                .hasMessageContaining("is not in trust domain example.org");
    }

    @Test
    void refusesAnEmptyChain() {
        assertThatThrownBy(() -> validator.validate(new X509Certificate[0]))
                .isInstanceOfSatisfying(
                        SvidValidationException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.EMPTY_CHAIN));
    }

    @Test
    void trustsEveryRootOfABundleDuringARotation() throws Exception {
        final TestCertificates next = TestCertificates.create("example.org", clock);
        final SvidValidator rotating =
                new SvidValidator(pki.bundle().withRoot(next.bundle().roots().get(0)), "example.org", clock);

        assertThat(rotating.validate(chain(pki.svid(ORDERS)))).isEqualTo(ORDERS);
        assertThat(rotating.validate(chain(next.svid(ORDERS)))).isEqualTo(ORDERS);
    }

    private void assertRefusedFor(X509Svid svid, SvidValidator.Use use, Reason reason, String message) {
        assertThatThrownBy(() -> validator.validate(chain(svid), use))
                .isInstanceOfSatisfying(
                        SvidValidationException.class,
                        e -> assertThat(e.reason()).isEqualTo(reason))
                .hasMessageContaining(message);
    }

    @Test
    void aCallerNeedsClientAuthAndAServerNeedsServerAuth() throws Exception {
        assertThat(validator.validate(chain(pki.clientAuthOnly(ORDERS)), SvidValidator.Use.WORKLOAD_CLIENT))
                .isEqualTo(ORDERS);
        assertThat(validator.validate(chain(pki.serverAuthOnly(ORDERS)), SvidValidator.Use.WORKLOAD_SERVER))
                .isEqualTo(ORDERS);
        assertRefusedFor(
                pki.serverAuthOnly(ORDERS),
                SvidValidator.Use.WORKLOAD_CLIENT,
                Reason.EXTENDED_KEY_USAGE,
                "does not allow clientAuth");
        assertRefusedFor(
                pki.clientAuthOnly(ORDERS),
                SvidValidator.Use.WORKLOAD_SERVER,
                Reason.EXTENDED_KEY_USAGE,
                "does not allow serverAuth");
    }

    @Test
    void theCasReservedIdIsRefusedAsAWorkloadButAcceptedAsTheCaServer() throws Exception {
        final X509Svid caServer = pki.ca().issueServerSvid(Duration.ofHours(1), List.of());
        for (SvidValidator.Use use : List.of(SvidValidator.Use.WORKLOAD_CLIENT, SvidValidator.Use.WORKLOAD_SERVER)) {
            assertRefusedFor(caServer, use, Reason.RESERVED_ID, "reserved for Trustline itself");
        }
        assertThat(validator.validate(chain(caServer), SvidValidator.Use.TRUSTLINE_SERVER))
                .isEqualTo(pki.ca().serverId());
    }
}
