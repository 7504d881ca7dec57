package io.trustline.sidecar.identity;

import io.netty.handler.ssl.ResumableX509ExtendedTrustManager;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.SvidValidationException;
import io.trustline.ca.SvidValidator;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inbound listener's client-certificate check: the chain must be a valid X.509-SVID of our trust domain under
 * the current trust bundle (chain, exactly one URI SAN, not a CA, within validity), that allows clientAuth and
 * names a workload rather than Trustline itself ({@link SvidValidator.Use#WORKLOAD_CLIENT}). A refusal is logged with
 * its reason code ({@code svid.extended_key_usage}, {@code svid.reserved_id}, ...); the caller only sees the
 * handshake fail. On success the peer's identity is stored on the TLS session, so requests on the connection need
 * no certificate parsing.
 */
final class SpiffeTrustManager extends X509ExtendedTrustManager implements ResumableX509ExtendedTrustManager {

    private static final Logger logger = LoggerFactory.getLogger(SpiffeTrustManager.class);

    /** Session value under which the handshake leaves the {@link PeerIdentity}. */
    static final String PEER_SESSION_KEY = "io.trustline.peer";

    private final MeshTls tls;

    SpiffeTrustManager(MeshTls tls) {
        this.tls = tls;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        final PeerIdentity peer = verifyHandshake(chain);
        final SSLSession session = engine.getHandshakeSession();
        if (session != null) {
            session.putValue(PEER_SESSION_KEY, peer);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        verify(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        verify(chain);
    }

    /**
     * A resumed TLS session skips the certificate exchange; Netty hands us the chain remembered with the session.
     * It is validated again, now and against the current bundle (a certificate that expired, or a root that was
     * rotated out, since the first handshake no longer counts), and the identity goes on the new session.
     */
    @Override
    public void resumeClientTrusted(X509Certificate[] chain, SSLEngine engine) throws CertificateException {
        engine.getSession().putValue(PEER_SESSION_KEY, verifyHandshake(chain));
    }

    @Override
    public void resumeServerTrusted(X509Certificate[] chain, SSLEngine engine) throws CertificateException {
        throw new CertificateException("this trust manager only verifies clients");
    }

    /** As {@link #verify}, telling {@link MeshTls} why a certificate was refused (the handshake-failure metric). */
    private PeerIdentity verifyHandshake(X509Certificate[] chain) throws CertificateException {
        try {
            return verify(chain);
        } catch (CertificateException e) {
            tls.peerRejected(
                    e.getCause() instanceof SvidValidationException svid
                            ? svid.reason()
                            : SvidValidationException.Reason.EMPTY_CHAIN);
            throw e;
        }
    }

    PeerIdentity verify(X509Certificate[] chain) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("no client certificate");
        }
        final SpiffeId id;
        try {
            id = tls.validator().validate(chain, SvidValidator.Use.WORKLOAD_CLIENT);
        } catch (SvidValidationException e) {
            logger.info(
                    "client certificate refused reason={} detail={}", e.reason().code(), e.getMessage());
            throw new CertificateException("client certificate is not a valid X.509-SVID: " + e.getMessage(), e);
        }
        return PeerIdentity.of(id, chain[0], tls.self());
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        throw new CertificateException("this trust manager only verifies clients");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        throw new CertificateException("this trust manager only verifies clients");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("this trust manager only verifies clients");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return tls.bundleRoots();
    }
}
