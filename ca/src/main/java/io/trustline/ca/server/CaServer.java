package io.trustline.ca.server;

import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.X509Svid;
import io.trustline.ca.store.IssuanceLog;
import io.trustline.ca.store.IssuanceRecord;
import io.trustline.ca.store.IssuanceRecord.Authorisation;
import io.trustline.ca.store.JoinTokenStore;
import io.trustline.ca.tls.SvidKeyManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CA's gRPC server (grpc-java on its shaded Netty transport), over TLS with the CA's own
 * serving SVID ({@code spiffe://<trust-domain>/trustline/ca}), requesting but not requiring a
 * client certificate so that join-token callers without one can connect.
 *
 * <pre>{@code
 * try (CaServer server = CaServer.builder().certificateAuthority(ca).joinTokens(tokens)
 *         .listen("127.0.0.1:0").build().start()) {
 *     int port = server.port();
 * }
 * }</pre>
 */
public final class CaServer implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(CaServer.class);
    private static final int MAX_REQUEST_BYTES = 64 * 1024;
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(5);

    private final CertificateAuthority ca;
    private final JoinTokenStore joinTokens;
    private final IssuanceLog issuanceLog;
    private final InetSocketAddress listen;
    private final Duration serverSvidTtl;
    private final List<String> dnsNames;
    private final Duration maxRenewalAge;
    private final ThreadPoolExecutor signingExecutor;
    private final Object serverSvidLock = new Object();
    private volatile @Nullable X509Svid serverSvid;
    private @Nullable Server server;

    CaServer(
            CertificateAuthority ca,
            JoinTokenStore joinTokens,
            IssuanceLog issuanceLog,
            InetSocketAddress listen,
            int signingThreads,
            int signingQueueCapacity,
            Duration serverSvidTtl,
            List<String> dnsNames,
            Duration maxRenewalAge) {
        this.ca = ca;
        this.joinTokens = joinTokens;
        this.issuanceLog = issuanceLog;
        this.listen = listen;
        this.serverSvidTtl = serverSvidTtl;
        this.dnsNames = dnsNames;
        this.maxRenewalAge = maxRenewalAge;
        final AtomicInteger threadNumber = new AtomicInteger();
        signingExecutor = new ThreadPoolExecutor(
                signingThreads,
                signingThreads,
                60,
                TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(signingQueueCapacity),
                runnable -> {
                    final Thread thread = new Thread(runnable, "trustline-ca-signer-" + threadNumber.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                },
                new ThreadPoolExecutor.AbortPolicy());
        signingExecutor.allowCoreThreadTimeOut(true);
    }

    /** Returns a builder. */
    public static CaServerBuilder builder() {
        return new CaServerBuilder();
    }

    /**
     * Binds and starts serving.
     *
     * @throws UncheckedIOException if the address cannot be bound
     * @throws IllegalStateException if already started
     */
    public synchronized CaServer start() {
        if (server != null) {
            throw new IllegalStateException("already started");
        }
        serverSvid();
        final ServerCredentials credentials = TlsServerCredentials.newBuilder()
                .keyManager(new SvidKeyManager(this::serverSvid))
                .trustManager(new DeferredClientTrustManager(ca::trustBundle))
                .clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL)
                .build();
        final CaService service = new CaService(ca, joinTokens, issuanceLog, signingExecutor, maxRenewalAge);
        try {
            server = NettyServerBuilder.forAddress(listen, credentials)
                    // The service only hands work to the bounded signing executor, so it may run on
                    // the transport thread; nothing blocking happens there.
                    .directExecutor()
                    .maxInboundMessageSize(MAX_REQUEST_BYTES)
                    .addService(ServerInterceptors.intercept(service, new CallerContext()))
                    .build()
                    .start();
        } catch (IOException e) {
            signingExecutor.shutdownNow();
            throw new UncheckedIOException("ca server: cannot listen on " + listen + ": " + e.getMessage(), e);
        }
        logger.atInfo()
                .setMessage("ca server started")
                .addKeyValue("address", listen.getHostString() + ":" + port())
                .addKeyValue("trust_domain", ca.trustDomain())
                .log();
        return this;
    }

    /** Returns the bound port (useful with port 0). */
    public int port() {
        final Server started = server;
        if (started == null) {
            throw new IllegalStateException("not started");
        }
        return started.getPort();
    }

    /** Returns the CA this server signs with. */
    public CertificateAuthority certificateAuthority() {
        return ca;
    }

    /** Returns the join tokens this server accepts; the in-process demo creates tokens here. */
    public JoinTokenStore joinTokens() {
        return joinTokens;
    }

    /**
     * Returns the serving SVID, reissued once half its lifetime has passed by the CA's clock. Called
     * per handshake; issuance takes well under a millisecond.
     */
    private X509Svid serverSvid() {
        final X509Svid current = serverSvid;
        final Instant now = ca.clock().instant();
        if (current != null && now.isBefore(renewalPoint(current))) {
            return current;
        }
        synchronized (serverSvidLock) {
            if (serverSvid != null && now.isBefore(renewalPoint(serverSvid))) {
                return serverSvid;
            }
            final X509Svid fresh = ca.issueServerSvid(serverSvidTtl, dnsNames);
            try {
                issuanceLog.record(new IssuanceRecord(
                        now,
                        fresh.leaf().getSerialNumber(),
                        fresh.id(),
                        fresh.notAfter(),
                        Authorisation.CA_SERVER,
                        "",
                        ""));
            } catch (IOException e) {
                // The serving certificate authorises nothing; keep serving, but say so loudly.
                logger.atError()
                        .setMessage("audit log write failed")
                        .setCause(e)
                        .log();
            }
            serverSvid = fresh;
            return fresh;
        }
    }

    private static Instant renewalPoint(X509Svid svid) {
        final Duration lifetime = Duration.between(svid.notBefore(), svid.notAfter());
        return svid.notBefore().plus(lifetime.dividedBy(2));
    }

    /** Stops accepting calls, waits briefly for calls in flight, then stops. Idempotent. */
    @Override
    public synchronized void close() {
        final Server started = server;
        if (started == null) {
            signingExecutor.shutdownNow();
            return;
        }
        started.shutdown();
        try {
            if (!started.awaitTermination(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                started.shutdownNow();
                started.awaitTermination(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            started.shutdownNow();
            Thread.currentThread().interrupt();
        }
        signingExecutor.shutdownNow();
        logger.atInfo().setMessage("ca server stopped").log();
    }
}
