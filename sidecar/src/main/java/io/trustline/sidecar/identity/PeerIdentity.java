package io.trustline.sidecar.identity;

import io.netty.util.AttributeKey;
import io.trustline.ca.SpiffeId;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

/**
 * The verified identity of the workload at the other end of an mTLS connection. Computed once per TLS session
 * (during the handshake) and reused by every request on that connection.
 *
 * @param id the peer's SPIFFE ID, from the single URI SAN of its validated X.509-SVID
 * @param certSha256 hex SHA-256 of the peer's leaf certificate (DER), as Envoy's XFCC {@code Hash}
 * @param xfcc the {@code x-forwarded-client-cert} value handed to the app (Envoy's format)
 */
public record PeerIdentity(SpiffeId id, String certSha256, String xfcc) {

    /** The peer identity of the current request; absent for plaintext requests in permissive mode. */
    public static final AttributeKey<PeerIdentity> ATTR = AttributeKey.valueOf(PeerIdentity.class, "PEER");

    /** Builds the identity for {@code leaf}, already validated as an SVID for {@code id}, seen by {@code self}. */
    public static PeerIdentity of(SpiffeId id, X509Certificate leaf, SpiffeId self) {
        final String hash = sha256Hex(leaf);
        final String xfcc = "By=" + self + ";Hash=" + hash + ";URI=" + id;
        return new PeerIdentity(id, hash, xfcc);
    }

    private static String sha256Hex(X509Certificate cert) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException("cannot hash the peer certificate", e);
        }
    }
}
