package io.trustline.ca;

import static java.util.Objects.requireNonNull;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * An X.509-SVID with its private key and the trust bundle it was issued under.
 *
 * @param id the SPIFFE ID the certificate names
 * @param chain the leaf first, then any intermediates; never the root
 * @param privateKey the key of the leaf; it never leaves the workload that made it
 * @param bundle the roots to validate peers (and this chain) against
 */
public record X509Svid(SpiffeId id, List<X509Certificate> chain, PrivateKey privateKey, TrustBundle bundle) {

    /** Checks that every part is present and copies the chain. */
    public X509Svid {
        requireNonNull(id, "id");
        requireNonNull(chain, "chain");
        requireNonNull(privateKey, "privateKey");
        requireNonNull(bundle, "bundle");
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("chain: empty (expected: the leaf first)");
        }
        chain = List.copyOf(chain);
    }

    /** Returns the leaf certificate. */
    public X509Certificate leaf() {
        return chain.get(0);
    }

    /** Returns when the leaf expires. */
    public Instant notAfter() {
        return leaf().getNotAfter().toInstant();
    }

    /** Returns when the leaf became valid (the CA backdates it slightly for clock skew). */
    public Instant notBefore() {
        return leaf().getNotBefore().toInstant();
    }

    /** Returns the chain as PEM, leaf first (the content of {@code cert.pem}). */
    public String chainPem() {
        return Pem.encodeCertificates(chain);
    }

    /** Returns the private key as unencrypted PKCS#8 PEM (the content of {@code key.pem}). */
    public String privateKeyPem() {
        return Pem.encodePrivateKey(privateKey);
    }

    /** Returns the SPIFFE ID and validity; never the key. */
    @Override
    public String toString() {
        return "X509Svid[id=" + id + ", serial=" + leaf().getSerialNumber().toString(16) + ", notAfter=" + notAfter()
                + "]";
    }
}
