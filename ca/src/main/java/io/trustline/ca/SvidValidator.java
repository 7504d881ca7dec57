package io.trustline.ca;

import static java.util.Objects.requireNonNull;

import io.trustline.ca.SvidValidationException.Reason;
import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Validates a certificate chain presented by a peer as an X.509-SVID of one trust domain: the chain
 * leads to a root of the trust bundle (PKIX, every certificate within its validity at the clock's
 * time), the leaf is not a CA and may sign, and it carries exactly one URI SAN, a SPIFFE ID with a
 * path in the expected trust domain. Nothing falls back to the certificate subject.
 *
 * <p>A peer is validated for a {@link Use}: a caller's leaf must allow clientAuth, a server's serverAuth (an
 * extended key usage extension is required, and {@code anyExtendedKeyUsage} does not count), and only Trustline's
 * own server may present an ID {@linkplain SpiffeId#isReserved() reserved} for Trustline. Every handshake path
 * (the sidecar's inbound and outbound, the CA's renewal, the CA client) uses this one validator.
 *
 * <p>Thread-safe and reusable: the trust anchors are prepared once, so each call costs about one
 * signature verification per certificate: with the JDK's providers about 0.76 ms for a P-256 SVID on JDK 17;
 * the CA, which holds a Bouncy Castle provider anyway, uses {@link #withBouncyCastle} (about 0.2 ms).
 */
public final class SvidValidator {

    /** What a validated peer is about to be trusted as. */
    public enum Use {
        /** A workload calling: an inbound caller, a renewal at the CA. Needs clientAuth; reserved IDs refused. */
        WORKLOAD_CLIENT(CLIENT_AUTH, "clientAuth", false),
        /** A workload serving: the peer sidecar of an outbound call. Needs serverAuth; reserved IDs refused. */
        WORKLOAD_SERVER(SERVER_AUTH, "serverAuth", false),
        /** Trustline's CA server, as its clients see it. Needs serverAuth; may carry its reserved ID. */
        TRUSTLINE_SERVER(SERVER_AUTH, "serverAuth", true);

        private final String purposeOid;
        private final String purposeName;
        private final boolean reservedAllowed;

        Use(String purposeOid, String purposeName, boolean reservedAllowed) {
            this.purposeOid = purposeOid;
            this.purposeName = purposeName;
            this.reservedAllowed = reservedAllowed;
        }
    }

    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final int URI_SAN = 6;
    private static final int KEY_USAGE_DIGITAL_SIGNATURE = 0;
    private static final int KEY_USAGE_KEY_CERT_SIGN = 5;
    private static final int KEY_USAGE_CRL_SIGN = 6;

    private final TrustBundle bundle;
    private final String trustDomain;
    private final Clock clock;
    private final Set<TrustAnchor> anchors;
    private final @Nullable Provider pathProvider;

    /**
     * Creates a validator that uses the JDK's PKIX and signature providers: the workload side's, which builds no
     * Bouncy Castle provider.
     *
     * @param bundle the roots to chain to
     * @param trustDomain the trust domain every accepted SPIFFE ID must be in
     * @param clock the time validity is checked at
     */
    public SvidValidator(TrustBundle bundle, String trustDomain, Clock clock) {
        this(bundle, trustDomain, clock, null);
    }

    private SvidValidator(TrustBundle bundle, String trustDomain, Clock clock, @Nullable Provider pathProvider) {
        this.bundle = requireNonNull(bundle, "bundle");
        this.trustDomain = SpiffeId.checkTrustDomain(trustDomain);
        this.clock = requireNonNull(clock, "clock");
        this.pathProvider = pathProvider;
        anchors = bundle.roots().stream().map(r -> new TrustAnchor(r, null)).collect(Collectors.toUnmodifiableSet());
    }

    /**
     * A validator for the CA process, which holds {@link BouncyCastle#PROVIDER} anyway: the same checks, with the
     * path and its signatures verified by Bouncy Castle (about 0.2 ms for a P-256 SVID on JDK 17, against 0.76 ms
     * with the JDK's providers).
     */
    public static SvidValidator withBouncyCastle(TrustBundle bundle, String trustDomain, Clock clock) {
        return new SvidValidator(bundle, trustDomain, clock, BouncyCastle.PROVIDER);
    }

    /** Returns the trust bundle this validator chains to. */
    public TrustBundle bundle() {
        return bundle;
    }

    /** Returns the trust domain this validator accepts. */
    public String trustDomain() {
        return trustDomain;
    }

    /**
     * Validates a chain presented by a peer in a TLS handshake, leaf first, for {@code use}, and returns the SPIFFE
     * ID of the leaf.
     *
     * @throws SvidValidationException naming the reason when the chain is not acceptable
     */
    public SpiffeId validate(X509Certificate[] chain, Use use) throws SvidValidationException {
        requireNonNull(use, "use");
        return validate(chain, (X509Certificate leaf, SpiffeId id) -> checkUse(leaf, id, use));
    }

    /**
     * Validates a chain as an SVID whatever it is used for (no extended key usage or reserved-ID check): for an
     * SVID this side holds or has just issued, never for a peer's ({@link #validate(X509Certificate[], Use)}).
     *
     * @throws SvidValidationException naming the reason when the chain is not acceptable
     */
    public SpiffeId validate(X509Certificate[] chain) throws SvidValidationException {
        return validate(chain, (X509Certificate leaf, SpiffeId id) -> {});
    }

    private interface LeafCheck {
        void check(X509Certificate leaf, SpiffeId id) throws SvidValidationException;
    }

    private SpiffeId validate(X509Certificate[] chain, LeafCheck useCheck) throws SvidValidationException {
        if (chain == null || chain.length == 0) {
            throw new SvidValidationException(Reason.EMPTY_CHAIN, "no certificate presented");
        }
        final X509Certificate leaf = chain[0];
        final SpiffeId id = checkLeaf(leaf);
        useCheck.check(leaf, id);
        final Date now = Date.from(clock.instant());
        try {
            leaf.checkValidity(now);
        } catch (CertificateExpiredException e) {
            throw new SvidValidationException(
                    Reason.EXPIRED,
                    "certificate of " + id + " expired at " + leaf.getNotAfter().toInstant());
        } catch (CertificateNotYetValidException e) {
            throw new SvidValidationException(
                    Reason.NOT_YET_VALID,
                    "certificate of " + id + " is not valid before "
                            + leaf.getNotBefore().toInstant());
        }
        checkPath(chain, id, now);
        return id;
    }

    private SpiffeId checkLeaf(X509Certificate leaf) throws SvidValidationException {
        if (leaf.getBasicConstraints() >= 0) {
            throw new SvidValidationException(Reason.NOT_A_LEAF, "leaf certificate is a CA certificate");
        }
        // X.509-SVID spec 4.3 and 5.2: key usage must be present, with digitalSignature and
        // without the signing bits.
        final boolean[] keyUsage = leaf.getKeyUsage();
        if (keyUsage == null) {
            throw new SvidValidationException(Reason.KEY_USAGE, "leaf has no key usage extension");
        }
        if (keyUsage.length > KEY_USAGE_KEY_CERT_SIGN && keyUsage[KEY_USAGE_KEY_CERT_SIGN]
                || keyUsage.length > KEY_USAGE_CRL_SIGN && keyUsage[KEY_USAGE_CRL_SIGN]) {
            throw new SvidValidationException(Reason.NOT_A_LEAF, "leaf certificate may sign certificates");
        }
        if (!keyUsage[KEY_USAGE_DIGITAL_SIGNATURE]) {
            throw new SvidValidationException(Reason.KEY_USAGE, "leaf key usage lacks digitalSignature");
        }
        final List<String> uris = uriSans(leaf);
        if (uris.size() != 1) {
            throw new SvidValidationException(
                    Reason.URI_SAN_COUNT, "leaf has " + uris.size() + " URI SANs (expected: exactly one SPIFFE ID)");
        }
        final SpiffeId id;
        try {
            id = SpiffeId.parse(uris.get(0));
        } catch (IllegalArgumentException e) {
            throw new SvidValidationException(Reason.INVALID_SPIFFE_ID, e.getMessage());
        }
        if (!id.hasPath()) {
            throw new SvidValidationException(Reason.INVALID_SPIFFE_ID, "SPIFFE ID " + id + " names no workload");
        }
        if (!id.isMemberOf(trustDomain)) {
            throw new SvidValidationException(
                    Reason.WRONG_TRUST_DOMAIN, "SPIFFE ID " + id + " is not in trust domain " + trustDomain);
        }
        return id;
    }

    private static void checkUse(X509Certificate leaf, SpiffeId id, Use use) throws SvidValidationException {
        if (id.isReserved() && !use.reservedAllowed) {
            throw new SvidValidationException(
                    Reason.RESERVED_ID, "SPIFFE ID " + id + " is reserved for Trustline itself, not a workload");
        }
        final List<String> purposes;
        try {
            purposes = leaf.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            throw new SvidValidationException(Reason.EXTENDED_KEY_USAGE, "malformed extended key usage extension", e);
        }
        if (purposes == null || !purposes.contains(use.purposeOid)) {
            throw new SvidValidationException(
                    Reason.EXTENDED_KEY_USAGE,
                    "certificate of " + id + " does not allow " + use.purposeName
                            + (purposes == null ? " (no extended key usage)" : ""));
        }
    }

    static List<String> uriSans(X509Certificate certificate) throws SvidValidationException {
        final Collection<List<?>> names;
        try {
            names = certificate.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            throw new SvidValidationException(Reason.URI_SAN_COUNT, "malformed subjectAltName extension", e);
        }
        final List<String> uris = new ArrayList<>();
        if (names != null) {
            for (List<?> name : names) {
                if (Integer.valueOf(URI_SAN).equals(name.get(0))) {
                    uris.add(String.valueOf(name.get(1)));
                }
            }
        }
        return uris;
    }

    private void checkPath(X509Certificate[] chain, SpiffeId id, Date now) throws SvidValidationException {
        // A peer may send the root too; the anchor must not be part of the path.
        final List<X509Certificate> path = new ArrayList<>(Arrays.asList(chain));
        while (path.size() > 1 && bundle.roots().contains(path.get(path.size() - 1))) {
            path.remove(path.size() - 1);
        }
        try {
            final CertPath certPath;
            final CertPathValidator validator;
            if (pathProvider == null) {
                // The JDK's PKIX and its EC: a Bouncy Castle provider costs a sidecar about 6 MB of heap and 500
                // classes (docs/performance.md), for a check made once per handshake.
                certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
                validator = CertPathValidator.getInstance("PKIX");
            } else {
                // The provider's own certificate objects, so that its PKIX verifies their signatures with it too:
                // given JDK certificates it would call the JDK's slower ECDSA.
                final CertificateFactory factory = CertificateFactory.getInstance("X.509", pathProvider);
                final List<X509Certificate> converted = new ArrayList<>(path.size());
                for (X509Certificate certificate : path) {
                    converted.add((X509Certificate)
                            factory.generateCertificate(new ByteArrayInputStream(certificate.getEncoded())));
                }
                certPath = factory.generateCertPath(converted);
                validator = CertPathValidator.getInstance("PKIX", pathProvider);
            }
            // Factories and validators are not documented as thread-safe; getting them is cheap.
            final PKIXParameters parameters = new PKIXParameters(anchors);
            parameters.setRevocationEnabled(false);
            parameters.setDate(now);
            validator.validate(certPath, parameters);
        } catch (CertPathValidatorException e) {
            throw new SvidValidationException(
                    Reason.UNTRUSTED, "certificate of " + id + " does not chain to the trust bundle", e);
        } catch (GeneralSecurityException e) {
            throw new SvidValidationException(Reason.UNTRUSTED, "certificate path of " + id + " is unusable", e);
        }
    }
}
