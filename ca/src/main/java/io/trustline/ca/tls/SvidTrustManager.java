package io.trustline.ca.tls;

import static java.util.Objects.requireNonNull;

import io.trustline.ca.SpiffeId;
import io.trustline.ca.SvidValidationException;
import io.trustline.ca.SvidValidator;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.function.Predicate;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A trust manager that accepts a peer only if its chain is a valid X.509-SVID ({@link
 * SvidValidator}) whose SPIFFE ID the given predicate accepts. Host names play no part: a SPIFFE
 * peer is identified by its ID, so this manager replaces hostname verification. A client must hold an SVID that
 * allows clientAuth and a server one that allows serverAuth; an ID reserved for Trustline is accepted only from a
 * server that {@link #forPeer} expects by that ID (the CA).
 */
public final class SvidTrustManager extends X509ExtendedTrustManager {

    private final Supplier<SvidValidator> validator;
    private final Predicate<SpiffeId> acceptedPeer;
    private final SvidValidator.Use serverUse;

    /**
     * Creates a trust manager.
     *
     * @param validator the validator to use for each handshake (a supplier, so that a renewed trust
     *     bundle takes effect for the next connection)
     * @param acceptedPeer which SPIFFE IDs may be on the other side
     */
    public SvidTrustManager(Supplier<SvidValidator> validator, Predicate<SpiffeId> acceptedPeer) {
        this(validator, acceptedPeer, SvidValidator.Use.WORKLOAD_SERVER);
    }

    private SvidTrustManager(
            Supplier<SvidValidator> validator, Predicate<SpiffeId> acceptedPeer, SvidValidator.Use serverUse) {
        this.validator = requireNonNull(validator, "validator");
        this.acceptedPeer = requireNonNull(acceptedPeer, "acceptedPeer");
        this.serverUse = serverUse;
    }

    /** Returns a trust manager that accepts exactly one peer ID. */
    public static SvidTrustManager forPeer(Supplier<SvidValidator> validator, SpiffeId peer) {
        requireNonNull(peer, "peer");
        return new SvidTrustManager(
                validator,
                peer::equals,
                peer.isReserved() ? SvidValidator.Use.TRUSTLINE_SERVER : SvidValidator.Use.WORKLOAD_SERVER);
    }

    private void check(X509Certificate[] chain, SvidValidator.Use use) throws CertificateException {
        final SpiffeId id;
        try {
            id = validator.get().validate(chain, use);
        } catch (SvidValidationException e) {
            throw new CertificateException(e.getMessage(), e);
        }
        if (!acceptedPeer.test(id)) {
            throw new CertificateException("peer " + id + " is not the expected SPIFFE ID");
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, SvidValidator.Use.WORKLOAD_CLIENT);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        check(chain, SvidValidator.Use.WORKLOAD_CLIENT);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        check(chain, SvidValidator.Use.WORKLOAD_CLIENT);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, serverUse);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        check(chain, serverUse);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        check(chain, serverUse);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return validator.get().bundle().roots().toArray(new X509Certificate[0]);
    }
}
