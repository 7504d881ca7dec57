package io.trustline.ca;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The roots a receiver trusts for one trust domain. Holds one or more root certificates so that a
 * root can be rotated with overlap: the new root is added, workloads pick it up, then the old one
 * is removed. Immutable.
 *
 * <p>Serialised as PEM or as a SPIFFE trust bundle (a JWK Set whose {@code x509-svid} keys carry
 * the root in {@code x5c}, with {@code spiffe_sequence} and {@code spiffe_refresh_hint}), so that
 * SPIRE or Istio peers could federate with it.
 */
public final class TrustBundle {

    /** The JWK {@code use} of an X.509-SVID authority in a SPIFFE bundle. */
    static final KeyUse X509_SVID_USE = new KeyUse("x509-svid");

    private final List<X509Certificate> roots;

    private TrustBundle(List<X509Certificate> roots) {
        this.roots = roots;
    }

    /**
     * Returns a bundle of the given roots, in order, without duplicates.
     *
     * @throws IllegalArgumentException if {@code roots} is empty or holds a certificate that is not
     *     a CA
     */
    public static TrustBundle of(List<X509Certificate> roots) {
        requireNonNull(roots, "roots");
        if (roots.isEmpty()) {
            throw new IllegalArgumentException("roots: empty (expected: at least one root certificate)");
        }
        final Set<X509Certificate> unique = new LinkedHashSet<>();
        for (X509Certificate root : roots) {
            requireNonNull(root, "roots contains null");
            if (root.getBasicConstraints() < 0) {
                throw new IllegalArgumentException(
                        "roots: " + root.getSubjectX500Principal() + " is not a CA certificate");
            }
            unique.add(root);
        }
        return new TrustBundle(List.copyOf(unique));
    }

    /**
     * Parses PEM text holding one or more root certificates.
     *
     * @throws IllegalArgumentException if the text holds no certificate or one that is not a CA
     */
    public static TrustBundle parsePem(String pem) {
        return of(Pem.parseCertificates(pem));
    }

    /**
     * Parses a SPIFFE trust bundle (JWK Set); keys whose {@code use} is not {@code x509-svid} (such
     * as JWT-SVID keys) are skipped.
     *
     * @throws IllegalArgumentException if the JSON is malformed or holds no X.509 authority
     */
    public static TrustBundle parseSpiffeJson(String json) {
        requireNonNull(json, "json");
        final List<X509Certificate> roots = new ArrayList<>();
        try {
            for (JWK key : JWKSet.parse(json).getKeys()) {
                if (X509_SVID_USE.equals(key.getKeyUse()) && key.getParsedX509CertChain() != null) {
                    roots.addAll(key.getParsedX509CertChain());
                }
            }
        } catch (ParseException e) {
            throw new IllegalArgumentException("spiffe bundle: malformed JWK Set: " + e.getMessage(), e);
        }
        if (roots.isEmpty()) {
            throw new IllegalArgumentException("spiffe bundle: no x509-svid key with x5c");
        }
        return of(roots);
    }

    /** Returns the root certificates, in order. */
    public List<X509Certificate> roots() {
        return roots;
    }

    /** Returns a bundle with {@code root} added at the end (for rotation), or this one if present. */
    public TrustBundle withRoot(X509Certificate root) {
        requireNonNull(root, "root");
        if (roots.contains(root)) {
            return this;
        }
        final List<X509Certificate> more = new ArrayList<>(roots);
        more.add(root);
        return of(more);
    }

    /** Returns the roots as concatenated PEM {@code CERTIFICATE} blocks. */
    public String toPem() {
        return Pem.encodeCertificates(roots);
    }

    /**
     * Returns the bundle in the SPIFFE trust bundle format.
     *
     * @param sequence {@code spiffe_sequence}: must increase whenever the bundle changes
     * @param refreshHint {@code spiffe_refresh_hint}: how often a consumer should poll for changes
     */
    public String toSpiffeJson(long sequence, Duration refreshHint) {
        requireNonNull(refreshHint, "refreshHint");
        if (sequence < 0) {
            throw new IllegalArgumentException("sequence: " + sequence + " (expected: >= 0)");
        }
        if (refreshHint.isNegative() || refreshHint.isZero()) {
            throw new IllegalArgumentException("refreshHint: " + refreshHint + " (expected: > 0)");
        }
        final List<JWK> keys = roots.stream().map(TrustBundle::toJwk).collect(Collectors.toList());
        final Map<String, Object> members = new LinkedHashMap<>();
        members.put("spiffe_sequence", sequence);
        members.put("spiffe_refresh_hint", refreshHint.toSeconds());
        return new JWKSet(keys, members).toString(true);
    }

    // X.509-SVID spec 6.1: use "x509-svid", exactly the one CA certificate in x5c, and no kid.
    private static JWK toJwk(X509Certificate root) {
        try {
            final List<Base64> x5c = List.of(Base64.encode(root.getEncoded()));
            final JWK parsed = JWK.parse(root);
            if (parsed instanceof ECKey) {
                return new ECKey.Builder((ECKey) parsed)
                        .keyUse(X509_SVID_USE)
                        .keyID(null)
                        .x509CertChain(x5c)
                        .x509CertSHA256Thumbprint(null)
                        .expirationTime(null)
                        .notBeforeTime(null)
                        .issueTime(null)
                        .build();
            }
            if (parsed instanceof RSAKey) {
                return new RSAKey.Builder((RSAKey) parsed)
                        .keyUse(X509_SVID_USE)
                        .keyID(null)
                        .x509CertChain(x5c)
                        .x509CertSHA256Thumbprint(null)
                        .expirationTime(null)
                        .notBeforeTime(null)
                        .issueTime(null)
                        .build();
            }
            throw new IllegalStateException("root key " + parsed.getKeyType() + " (expected: EC or RSA)");
        } catch (JOSEException | CertificateEncodingException e) {
            throw new IllegalStateException("cannot express root as a JWK: " + root.getSubjectX500Principal(), e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof TrustBundle && roots.equals(((TrustBundle) o).roots);
    }

    @Override
    public int hashCode() {
        return roots.hashCode();
    }

    @Override
    public String toString() {
        return "TrustBundle"
                + roots.stream().map(r -> r.getSubjectX500Principal().getName()).collect(Collectors.toList());
    }
}
