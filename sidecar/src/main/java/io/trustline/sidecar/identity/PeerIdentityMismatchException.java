package io.trustline.sidecar.identity;

import java.security.cert.CertificateException;

/** The server at the other end of an outbound connection is a valid SVID, but not the identity the route expects. */
public final class PeerIdentityMismatchException extends CertificateException {

    public PeerIdentityMismatchException(String message) {
        super(message);
    }
}
