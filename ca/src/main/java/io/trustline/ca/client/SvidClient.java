package io.trustline.ca.client;

import static java.util.Objects.requireNonNull;
import static java.util.Objects.requireNonNullElse;

import com.google.protobuf.ByteString;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.Csrs;
import io.trustline.ca.KeyType;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.SvidValidationException;
import io.trustline.ca.SvidValidator;
import io.trustline.ca.TrustBundle;
import io.trustline.ca.X509Svid;
import io.trustline.ca.tls.SvidKeyManager;
import io.trustline.ca.tls.SvidTrustManager;
import io.trustline.ca.v1.CertificateAuthorityGrpc;
import io.trustline.ca.v1.SignRequest;
import io.trustline.ca.v1.SignResponse;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a workload's X.509-SVID fresh: makes a key pair and CSR locally (the private key never
 * leaves the process), obtains the first SVID with a join token, then renews over mTLS with the
 * current SVID at about half its lifetime, with jitter so that a fleet started together does not
 * renew together. While the CA is unreachable it retries with capped exponential backoff and keeps
 * the current SVID until it expires. Listeners hear of every new SVID (the sidecar swaps it into
 * its TLS contexts).
 *
 * <pre>{@code
 * SvidClient client = SvidClient.builder()
 *         .caAddress("127.0.0.1:15012").caBundle(bundle)
 *         .spiffeId(SpiffeId.parse("spiffe://example.org/ns/shop/sa/orders"))
 *         .joinToken(token).build();
 * client.addListener(svid -> tlsProvider.update(svid));
 * X509Svid first = client.start();
 * }</pre>
 */
public final class SvidClient implements AutoCloseable {

    /** Where in an SVID's lifetime renewal is aimed, as SPIRE's rotation thresholds are fractions. */
    public static final double RENEWAL_FRACTION = 0.5;
    /** Renewal happens within this fraction of the lifetime either side of the renewal point. */
    public static final double JITTER_FRACTION = 0.1;
    /** Retry delays are randomised by up to this fraction either way. */
    public static final double BACKOFF_JITTER_FRACTION = 0.2;

    private static final Logger logger = LoggerFactory.getLogger(SvidClient.class);
    private static final Set<Status.Code> REFUSALS = Set.of(
            Status.Code.UNAUTHENTICATED,
            Status.Code.PERMISSION_DENIED,
            Status.Code.INVALID_ARGUMENT,
            Status.Code.FAILED_PRECONDITION,
            Status.Code.UNIMPLEMENTED);

    private final InetSocketAddress caAddress;
    private final TrustBundle caBundle;
    private final SpiffeId spiffeId;
    private final @Nullable JoinTokenSource joinToken;
    private final @Nullable Duration ttl;
    private final KeyType keyType;
    private final Clock clock;
    private final RenewalScheduler scheduler;
    private final @Nullable ScheduledExecutorService ownedExecutor;
    private final Duration startupTimeout;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Duration callTimeout;
    private final RandomGenerator random;
    private final List<Consumer<X509Svid>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong failedRenewals = new AtomicLong();
    private final List<CompletableFuture<X509Svid>> forced = new ArrayList<>();

    private volatile @Nullable X509Svid current;
    private volatile boolean closed;
    private RenewalScheduler.@Nullable Task pending;
    private int failures;
    private boolean started;

    SvidClient(SvidClientBuilder builder) {
        // build() has refused a builder without these.
        caAddress = requireNonNull(builder.caAddress, "caAddress");
        caBundle = requireNonNull(builder.caBundle, "caBundle");
        spiffeId = requireNonNull(builder.spiffeId, "spiffeId");
        joinToken = builder.joinToken;
        ttl = builder.ttl;
        keyType = builder.keyType;
        clock = builder.clock;
        startupTimeout = builder.startupTimeout;
        initialBackoff = builder.initialBackoff;
        maxBackoff = builder.maxBackoff;
        callTimeout = builder.callTimeout;
        random = builder.random;
        if (builder.scheduler == null) {
            ownedExecutor = Executors.newSingleThreadScheduledExecutor(runnable -> {
                final Thread thread = new Thread(runnable, "trustline-svid-renewal");
                thread.setDaemon(true);
                return thread;
            });
            scheduler = RenewalScheduler.of(ownedExecutor);
        } else {
            ownedExecutor = null;
            scheduler = builder.scheduler;
        }
    }

    /** Returns a builder. */
    public static SvidClientBuilder builder() {
        return new SvidClientBuilder();
    }

    /**
     * Obtains the first SVID, retrying while the CA is unreachable, and schedules its renewal.
     * Blocks until then.
     *
     * @throws SvidClientException if the CA refuses (bad token, wrong ID...) or stays unreachable
     *     for the startup timeout
     */
    public X509Svid start() {
        final CompletableFuture<X509Svid> first = new CompletableFuture<>();
        synchronized (this) {
            if (started) {
                throw new IllegalStateException("already started");
            }
            started = true;
        }
        attemptFirst(first);
        try {
            return first.get(startupTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            close();
            throw new SvidClientException(
                    "no SVID from the CA at " + address() + " within " + startupTimeout + " (still unreachable)", e);
        } catch (ExecutionException e) {
            close();
            final Throwable cause = requireNonNullElse(e.getCause(), e);
            throw cause instanceof SvidClientException
                    ? (SvidClientException) cause
                    : new SvidClientException("cannot obtain the first SVID: " + cause.getMessage(), cause);
        } catch (InterruptedException e) {
            close();
            Thread.currentThread().interrupt();
            throw new SvidClientException("interrupted while waiting for the first SVID", e);
        }
    }

    private void attemptFirst(CompletableFuture<X509Svid> first) {
        if (closed || first.isDone()) {
            return;
        }
        try {
            install(obtain(null));
            first.complete(current);
        } catch (StatusRuntimeException e) {
            if (REFUSALS.contains(e.getStatus().getCode())) {
                first.completeExceptionally(new SvidClientException(
                        "the CA refused the first SVID for " + spiffeId + ": " + describe(e), e));
                return;
            }
            final Duration delay = nextBackoff();
            logger.atWarn()
                    .setMessage("ca unreachable, retrying")
                    .addKeyValue("ca", address())
                    .addKeyValue("status", describe(e))
                    .addKeyValue("retry_in", delay)
                    .log();
            schedule(() -> attemptFirst(first), delay);
        } catch (RuntimeException e) {
            first.completeExceptionally(e);
        }
    }

    private void renew() {
        if (closed) {
            return;
        }
        final X509Svid svid = current;
        // Over mTLS while the current SVID is valid; once it has expired only a join token can
        // help: a reusable one, or a fresh one written to the token file.
        final boolean currentValid = svid != null && clock.instant().isBefore(svid.notAfter());
        if (!currentValid) {
            logger.atError()
                    .setMessage(
                            joinToken == null
                                    ? "svid expired and no join token to recover"
                                    : "svid expired, re-enrolling with the join token")
                    .addKeyValue("spiffe_id", spiffeId)
                    .addKeyValue("token_source", joinToken)
                    .log();
        }
        final X509Svid renewed;
        try {
            renewed = svid != null && currentValid ? renewOrReEnrol(svid) : obtain(null);
        } catch (RuntimeException e) {
            failedRenewals.incrementAndGet();
            final Duration delay = nextBackoff();
            final String error =
                    e instanceof StatusRuntimeException ? describe((StatusRuntimeException) e) : e.toString();
            logger.atWarn()
                    .setMessage("svid renewal failed, keeping the current one")
                    .addKeyValue("spiffe_id", spiffeId)
                    .addKeyValue("error", error)
                    .addKeyValue("current_not_after", svid == null ? null : svid.notAfter())
                    .addKeyValue("retry_in", delay)
                    .log();
            final List<CompletableFuture<X509Svid>> waiting = scheduleAndDrain(this::renew, delay);
            final SvidClientException failure =
                    new SvidClientException("svid renewal failed, keeping the current one: " + error, e);
            waiting.forEach(f -> f.completeExceptionally(failure));
            return;
        }
        install(renewed);
    }

    /**
     * Renews over mTLS. When the CA refuses that renewal for good (PERMISSION_DENIED: the attestation is older than
     * its maximum renewal age) and a join token is configured, attests again with the token in the same attempt:
     * every later renewal would be refused the same way until the certificate expired.
     */
    private X509Svid renewOrReEnrol(X509Svid svid) {
        try {
            return obtain(svid);
        } catch (StatusRuntimeException e) {
            if (joinToken == null || e.getStatus().getCode() != Status.Code.PERMISSION_DENIED) {
                throw e;
            }
            logger.atWarn()
                    .setMessage("svid renewal refused, re-enrolling with the join token")
                    .addKeyValue("spiffe_id", spiffeId)
                    .addKeyValue("error", describe(e))
                    .addKeyValue("token_source", joinToken)
                    .log();
            return obtain(null);
        }
    }

    /**
     * Renews now instead of at the scheduled time: an operator's forced renewal, e.g. after the CA's root was rotated.
     * The scheduled renewal is replaced. If the CA refuses or is unreachable, the current SVID stays in use and the
     * usual retries with backoff follow.
     *
     * @return completes with the new SVID (after the listeners heard of it), or exceptionally with the reason
     */
    public CompletableFuture<X509Svid> renewNow() {
        final CompletableFuture<X509Svid> result = new CompletableFuture<>();
        synchronized (this) {
            if (closed || current == null) {
                result.completeExceptionally(new IllegalStateException(closed ? "closed" : "not started"));
                return result;
            }
            forced.add(result);
            replacePending(this::renew, Duration.ZERO);
        }
        return result;
    }

    /**
     * Returns how many renewal attempts failed since the start (each retry counts), for the sidecar's metrics. Failed
     * attempts at the first SVID are not counted: they fail the start instead.
     */
    public long failedRenewals() {
        return failedRenewals.get();
    }

    private void install(X509Svid svid) {
        current = svid;
        failures = 0;
        final Duration delay = renewalDelay(svid);
        logger.atInfo()
                .setMessage("svid obtained")
                .addKeyValue("spiffe_id", svid.id())
                .addKeyValue("serial", svid.leaf().getSerialNumber().toString(16))
                .addKeyValue("not_after", svid.notAfter())
                .addKeyValue("renew_in", delay)
                .log();
        for (Consumer<X509Svid> listener : listeners) {
            try {
                listener.accept(svid);
            } catch (RuntimeException e) {
                logger.atError().setMessage("svid listener failed").setCause(e).log();
            }
        }
        scheduleAndDrain(this::renew, delay).forEach(f -> f.complete(svid));
    }

    /** Returns the time until renewal: half the lifetime, give or take the jitter, from not-before. */
    Duration renewalDelay(X509Svid svid) {
        final Duration lifetime = Duration.between(svid.notBefore(), svid.notAfter());
        final double fraction = RENEWAL_FRACTION + (random.nextDouble() * 2 - 1) * JITTER_FRACTION;
        final Instant renewAt = svid.notBefore().plusNanos((long) (lifetime.toNanos() * fraction));
        final Duration delay = Duration.between(clock.instant(), renewAt);
        return delay.isNegative() ? Duration.ZERO : delay;
    }

    private Duration nextBackoff() {
        final int exponent = Math.min(failures, 30);
        failures++;
        final long base = Math.min(maxBackoff.toNanos(), initialBackoff.toNanos() << Math.min(exponent, 20));
        final double jitter = 1 + (random.nextDouble() * 2 - 1) * BACKOFF_JITTER_FRACTION;
        return Duration.ofNanos(Math.min(maxBackoff.toNanos(), (long) (base * jitter)));
    }

    private synchronized void schedule(Runnable task, Duration delay) {
        if (closed) {
            return;
        }
        pending = scheduler.schedule(task, delay);
    }

    /**
     * Schedules the next attempt and takes the forced renewals that the attempt just made answers, in one step, so a
     * {@link #renewNow()} either is answered by this attempt or schedules its own after it, never lost in between.
     */
    private synchronized List<CompletableFuture<X509Svid>> scheduleAndDrain(Runnable task, Duration delay) {
        replacePending(task, delay);
        final List<CompletableFuture<X509Svid>> answered = List.copyOf(forced);
        forced.clear();
        return answered;
    }

    private synchronized void replacePending(Runnable task, Duration delay) {
        if (pending != null) {
            pending.cancel();
        }
        schedule(task, delay);
    }

    private X509Svid obtain(@Nullable X509Svid renewing) {
        final KeyPair keyPair = keyType.generate();
        final SignRequest.Builder request = SignRequest.newBuilder()
                .setCsr(ByteString.copyFrom(Csrs.create(keyPair, spiffeId)))
                .setSpiffeId(spiffeId.toString());
        if (renewing == null) {
            if (joinToken == null) {
                throw Status.UNAUTHENTICATED
                        .withDescription("no current SVID and no join token configured")
                        .asRuntimeException();
            }
            request.setJoinToken(joinToken.read());
        }
        if (ttl != null) {
            request.setTtlSeconds(ttl.toSeconds());
        }
        final ManagedChannel channel = channel(renewing);
        try {
            final SignResponse response = CertificateAuthorityGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(callTimeout.toNanos(), TimeUnit.NANOSECONDS)
                    .sign(request.build());
            return verify(response, keyPair);
        } finally {
            // A channel per call: calls are minutes apart, and a fresh handshake presents the
            // newest SVID.
            channel.shutdownNow();
        }
    }

    private X509Svid verify(SignResponse response, KeyPair keyPair) {
        final List<X509Certificate> chain = parse(response.getCertificateChainList());
        final TrustBundle bundle = TrustBundle.of(parse(response.getTrustBundleList()));
        final SpiffeId issued;
        try {
            issued = new SvidValidator(bundle, spiffeId.trustDomain(), clock)
                    .validate(chain.toArray(new X509Certificate[0]));
        } catch (SvidValidationException e) {
            throw Status.INTERNAL
                    .withDescription("the CA returned an invalid SVID: " + e.getMessage())
                    .asRuntimeException();
        }
        if (!issued.equals(spiffeId) || !chain.get(0).getPublicKey().equals(keyPair.getPublic())) {
            throw Status.INTERNAL
                    .withDescription("the CA returned an SVID for another ID or key")
                    .asRuntimeException();
        }
        return new X509Svid(spiffeId, chain, keyPair.getPrivate(), bundle);
    }

    private static List<X509Certificate> parse(List<ByteString> ders) {
        try {
            final CertificateFactory factory = CertificateFactory.getInstance("X.509");
            final List<X509Certificate> certificates = new ArrayList<>(ders.size());
            for (ByteString der : ders) {
                certificates.add(
                        (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der.toByteArray())));
            }
            if (certificates.isEmpty()) {
                throw new GeneralSecurityException("no certificates");
            }
            return certificates;
        } catch (GeneralSecurityException e) {
            throw Status.INTERNAL
                    .withDescription("the CA returned unreadable certificates")
                    .withCause(e)
                    .asRuntimeException();
        }
    }

    private ManagedChannel channel(@Nullable X509Svid clientSvid) {
        final X509Svid known = current;
        final TrustBundle bundle = known == null ? caBundle : known.bundle();
        final SvidValidator validator = new SvidValidator(bundle, spiffeId.trustDomain(), clock);
        final SpiffeId caId = SpiffeId.parse("spiffe://" + spiffeId.trustDomain() + CertificateAuthority.SERVER_PATH);
        final TlsChannelCredentials.Builder credentials =
                TlsChannelCredentials.newBuilder().trustManager(SvidTrustManager.forPeer(() -> validator, caId));
        if (clientSvid != null) {
            credentials.keyManager(new SvidKeyManager(() -> clientSvid));
        }
        final ChannelCredentials built = credentials.build();
        return NettyChannelBuilder.forAddress(caAddress.getHostString(), caAddress.getPort(), built)
                .build();
    }

    private String address() {
        return caAddress.getHostString() + ":" + caAddress.getPort();
    }

    private static String describe(StatusRuntimeException e) {
        final Status status = e.getStatus();
        return status.getDescription() == null
                ? status.getCode().toString()
                : status.getCode() + ": " + status.getDescription();
    }

    /** Returns the current SVID, or {@code null} before {@link #start()} succeeded. */
    public @Nullable X509Svid current() {
        return current;
    }

    /** Adds a listener called (on the renewal thread) with each new SVID, including the first. */
    public void addListener(Consumer<X509Svid> listener) {
        listeners.add(requireNonNull(listener, "listener"));
    }

    /** Stops renewing. The current SVID stays readable. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        forced.forEach(f -> f.completeExceptionally(new IllegalStateException("closed")));
        forced.clear();
        if (pending != null) {
            pending.cancel();
            pending = null;
        }
        if (ownedExecutor != null) {
            ownedExecutor.shutdownNow();
        }
    }
}
