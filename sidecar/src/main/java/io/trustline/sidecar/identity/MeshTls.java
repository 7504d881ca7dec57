package io.trustline.sidecar.identity;

import com.linecorp.armeria.client.ClientTlsSpec;
import com.linecorp.armeria.common.TlsKeyPair;
import com.linecorp.armeria.common.TlsPeerVerifierFactory;
import com.linecorp.armeria.common.TlsProvider;
import com.linecorp.armeria.server.ServerTlsConfig;
import io.netty.handler.ssl.ClientAuth;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.SvidValidationException;
import io.trustline.ca.SvidValidator;
import io.trustline.ca.X509Svid;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/**
 * Keeps Armeria's TLS in step with the workload identity. The inbound listener gets the current SVID from
 * {@link #serverTlsProvider()} (Armeria builds a new SSL context per key pair, so new connections use the new
 * certificate while open ones finish on theirs) and checks clients with a SPIFFE-aware trust manager. Outbound
 * clients get one {@link ClientTlsSpec} per expected server identity, built once per SVID and reused, because the
 * spec is part of Armeria's connection-pool key: a new spec means new connections, the same spec reuses them.
 */
public final class MeshTls {

    private static final String[] TLS_VERSIONS = {"TLSv1.3", "TLSv1.2"};

    private final SpiffeId self;
    private final String trustDomain;
    private final Clock clock;
    private final ConcurrentMap<SpiffeId, ClientTlsSpec> clientSpecs = new ConcurrentHashMap<>();
    private volatile State state;
    private final List<Consumer<SvidValidationException.Reason>> rejectionListeners = new CopyOnWriteArrayList<>();

    private record State(X509Svid svid, TlsKeyPair keyPair, SvidValidator validator, X509Certificate[] roots) {}

    public MeshTls(WorkloadIdentity identity, Clock clock) {
        this.clock = clock;
        final X509Svid svid = identity.current();
        self = svid.id();
        trustDomain = self.trustDomain();
        state = newState(svid);
        identity.addListener(this::update);
    }

    private State newState(X509Svid svid) {
        if (!svid.id().equals(self)) {
            throw new IllegalStateException("new SVID is for " + svid.id() + ", not " + self);
        }
        final List<X509Certificate> roots = svid.bundle().roots();
        return new State(
                svid,
                TlsKeyPair.of(jdkKey(svid.privateKey()), svid.chain()),
                new SvidValidator(svid.bundle(), trustDomain, clock),
                roots.toArray(new X509Certificate[0]));
    }

    /**
     * Re-creates {@code key} with the JDK's own provider. Armeria hashes the client key pair on every request (it is
     * part of the connection-pool key), and a Bouncy Castle EC key recomputes its public point in hashCode(): a
     * scalar multiplication per request. The JDK key hashes its encoding.
     */
    static PrivateKey jdkKey(PrivateKey key) {
        try {
            // Bouncy Castle names EC keys "ECDSA"; the JDK's KeyFactory calls them "EC".
            final String algorithm = "ECDSA".equals(key.getAlgorithm()) ? "EC" : key.getAlgorithm();
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(key.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot re-encode the workload key (" + key.getAlgorithm() + ')', e);
        }
    }

    private void update(X509Svid svid) {
        state = newState(svid);
        // Specs hold the old key pair; dropping them makes the next request build one with the new SVID.
        clientSpecs.clear();
    }

    /** This sidecar's own identity. */
    public SpiffeId self() {
        return self;
    }

    /** The SVID in use now. */
    public X509Svid svid() {
        return state.svid();
    }

    SvidValidator validator() {
        return state.validator();
    }

    X509Certificate[] bundleRoots() {
        return state.roots().clone();
    }

    /**
     * Calls {@code listener} with the reason whenever the inbound listener refuses a client certificate during a
     * handshake (for metrics; the handshake has failed already and the listener cannot change that).
     */
    public void onPeerRejected(Consumer<SvidValidationException.Reason> listener) {
        rejectionListeners.add(listener);
    }

    void peerRejected(SvidValidationException.Reason reason) {
        for (Consumer<SvidValidationException.Reason> l : rejectionListeners) {
            l.accept(reason);
        }
    }

    /** The inbound listener's certificate source: always the current SVID. */
    public TlsProvider serverTlsProvider() {
        return hostname -> state.keyPair();
    }

    /**
     * TLS 1.3 preferred, 1.2 accepted; client certificates {@code REQUIRE}d and validated as SVIDs of our trust
     * domain against the current bundle.
     */
    public ServerTlsConfig serverTlsConfig() {
        final SpiffeTrustManager trustManager = new SpiffeTrustManager(this);
        return ServerTlsConfig.builder()
                .clientAuth(ClientAuth.REQUIRE)
                .tlsCustomizer(b -> b.protocols(TLS_VERSIONS).trustManager(trustManager))
                .build();
    }

    /**
     * The client TLS for calls to a server that must prove {@code expected}: our SVID as client certificate, the
     * bundle as trust anchors, no hostname verification (SVIDs name workloads, not hosts) and a SPIFFE ID check.
     */
    public ClientTlsSpec clientTlsSpec(SpiffeId expected) {
        return clientSpecs.computeIfAbsent(expected, this::newClientTlsSpec);
    }

    private ClientTlsSpec newClientTlsSpec(SpiffeId expected) {
        final State s = state;
        final TlsPeerVerifierFactory verifier = delegate -> (chain, authType, engine) -> {
            // PKIX by the JDK first, then the SPIFFE rules and the expected identity.
            delegate.verify(chain, authType, engine);
            final SpiffeId actual;
            try {
                actual = validator().validate(chain, SvidValidator.Use.WORKLOAD_SERVER);
            } catch (SvidValidationException e) {
                throw new CertificateException("server certificate is not a valid X.509-SVID: " + e.getMessage(), e);
            }
            if (!actual.equals(expected)) {
                throw new PeerIdentityMismatchException(
                        "server identity " + actual + " does not match the route's " + expected);
            }
        };
        return ClientTlsSpec.builder()
                // Set here, not left for Armeria to derive per request (which rebuilds the spec on every call).
                .alpnProtocols(List.of("h2"))
                .tlsKeyPair(s.keyPair())
                .trustedCertificates(List.of(s.roots()))
                .verifierFactories(verifier)
                .endpointIdentificationAlgorithm("")
                .build();
    }

    /**
     * The identity the TLS handshake verified for {@code session}, or {@code null} when there is no session
     * (plaintext) or no client certificate.
     */
    public @Nullable PeerIdentity peerOf(@Nullable SSLSession session) {
        if (session == null) {
            return null;
        }
        final Object cached = session.getValue(SpiffeTrustManager.PEER_SESSION_KEY);
        if (cached instanceof PeerIdentity) {
            return (PeerIdentity) cached;
        }
        // The engine may not expose the handshake session to the trust manager; validate once and remember.
        final X509Certificate[] chain;
        try {
            chain = (X509Certificate[]) session.getPeerCertificates();
        } catch (Exception e) {
            return null;
        }
        try {
            final PeerIdentity peer = new SpiffeTrustManager(this).verify(chain);
            session.putValue(SpiffeTrustManager.PEER_SESSION_KEY, peer);
            return peer;
        } catch (CertificateException e) {
            return null;
        }
    }
}
