package io.trustline.ca;

import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/**
 * A CSR that passed {@link CertificateAuthority#verifyCsr}: its signature proves possession of the
 * key, the key is strong enough, and it asks for no name but the authorised SPIFFE ID. Only the CA
 * can create one, so holding one proves the checks ran.
 */
public final class VerifiedCsr {

    private final SpiffeId id;
    private final SubjectPublicKeyInfo publicKey;

    VerifiedCsr(SpiffeId id, SubjectPublicKeyInfo publicKey) {
        this.id = id;
        this.publicKey = publicKey;
    }

    /** Returns the SPIFFE ID the certificate will carry (from the authorisation, not the CSR). */
    public SpiffeId id() {
        return id;
    }

    SubjectPublicKeyInfo publicKey() {
        return publicKey;
    }
}
