package io.trustline.ca.server;

import io.trustline.ca.TrustBundle;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The CA server's client-side trust decision, deferred: TLS requests a client certificate but does
 * not require or judge it, because a join-token caller has none and a caller with an expired SVID
 * should get a clear UNAUTHENTICATED rather than a failed handshake. TLS still proves that the
 * client holds the key of the chain it presents (CertificateVerify); {@link CaService} then
 * validates that chain with {@link io.trustline.ca.SvidValidator} on every call before it
 * authorises anything with it. SPIRE's server does the same ({@code tls.RequestClientCert} plus
 * authorisation middleware).
 */
final class DeferredClientTrustManager extends X509ExtendedTrustManager {

    private final Supplier<TrustBundle> bundle;

    DeferredClientTrustManager(Supplier<TrustBundle> bundle) {
        this.bundle = bundle;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("server-side trust manager");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        throw new CertificateException("server-side trust manager");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        throw new CertificateException("server-side trust manager");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        // Sent as the certificate_authorities hint, so a client picks an SVID of this trust domain.
        return bundle.get().roots().toArray(new X509Certificate[0]);
    }
}
