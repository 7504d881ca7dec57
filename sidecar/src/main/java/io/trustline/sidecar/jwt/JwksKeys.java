package io.trustline.sidecar.jwt;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSetBasedJWKSource;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.OutageTolerantJWKSetSource;
import com.nimbusds.jose.jwk.source.URLBasedJWKSetSource;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jose.util.events.Event;
import com.nimbusds.jose.util.health.HealthReport;
import com.nimbusds.jose.util.health.HealthStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.trustline.policy.model.JwksCache;
import io.trustline.policy.model.JwtProvider;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.request.JwtReason;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys of one JWKS (a URL or a file), kept fresh in the background so that no request ever waits for a fetch.
 *
 * <p>Nimbus's {@link JWKSourceBuilder} chain does the keeping, each layer switched on deliberately: a cache whose
 * entries live {@code refreshInterval} (plus a little), refreshed ahead of expiry; a rate limit so that refetches
 * (periodic or for an unknown {@code kid}) happen at most twice per {@code minRefetchInterval}; outage tolerance
 * that keeps serving the last good keys for {@code maxStaleness} after the last successful fetch; and health
 * reports, logged on each change. Retries are off: the next tick retries anyway.
 *
 * <p>The chain is blocking, so it only ever runs on {@code executor}: a tick every {@link #tickInterval} asks it for
 * the keys (a cache hit but every {@code refreshInterval}, when it fetches) and publishes them as an immutable
 * {@link KeySnapshot}; the request path reads that snapshot with one volatile read. Every time the chain sees comes
 * from the sidecar's {@link Clock}, so tests can move through an outage without sleeping.
 *
 * <p>Keys are usable while the last successful fetch is at most {@code maxStaleness} old; after that every token
 * of the issuers using them fails closed with {@code jwt.jwks_unavailable}, until a fetch succeeds again.
 */
final class JwksKeys implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(JwksKeys.class);

    /** How often the chain is asked at most; shorter for refresh intervals under four of these. */
    static final Duration MAX_TICK = Duration.ofSeconds(1);

    private static final Duration MIN_TICK = Duration.ofMillis(50);

    /** The key of a JWKS: issuers with the same location and cache settings share one. */
    record Location(Optional<URI> uri, Optional<Path> file, JwksCache cache) {

        static Location of(JwtProvider p) {
            return new Location(p.jwksUri(), p.jwksFile(), p.jwksCache());
        }

        /** The URL or the file, for logs and the {@code jwks} metric tag (both come from the policy). */
        String display() {
            return uri.map(URI::toString)
                    .orElseGet(() -> file.map(Object::toString).orElse("?"));
        }

        URL url() {
            try {
                return uri.isPresent()
                        ? uri.get().toURL()
                        : file.orElseThrow().toUri().toURL();
            } catch (MalformedURLException e) {
                throw new IllegalArgumentException("jwks: " + display() + " (expected: a URL)", e);
            }
        }
    }

    private final Location location;
    private final String display;
    private final Clock clock;
    private final ScheduledExecutorService executor;
    private final JWKSetSource<SecurityContext> chain;
    private final Duration tick;
    private final long maxStalenessMillis;
    private final long minRefetchMillis;
    private final List<Meter> meters = new ArrayList<>(5);
    private final MeterRegistry registry;
    private final Counter fetchSuccesses;
    private final Counter fetchFailures;
    private final Counter fetchesRateLimited;
    private final AtomicBoolean fetchFailing = new AtomicBoolean();
    private final AtomicBoolean unhealthy = new AtomicBoolean();

    private volatile @Nullable KeySnapshot snapshot;
    /** When the last fetch succeeded, in the sidecar clock's millis; {@link Long#MIN_VALUE} if never. */
    private volatile long lastSuccessMillis = Long.MIN_VALUE;

    private final Object refetchLock = new Object();
    private @Nullable CompletableFuture<Void> refetching;
    private long lastRefetchMillis = Long.MIN_VALUE;

    private @Nullable ScheduledFuture<?> ticking;
    private volatile boolean closed;

    /**
     * Keys for {@code location}, fetched over HTTP(S) or read from the file.
     *
     * @param registry where the fetch and staleness metrics go
     */
    static JwksKeys open(Location location, Clock clock, ScheduledExecutorService executor, MeterRegistry registry) {
        final int timeout = (int)
                Math.min(Integer.MAX_VALUE, location.cache().fetchTimeout().toMillis());
        final JWKSetSource<SecurityContext> source = new URLBasedJWKSetSource<>(
                location.url(),
                new DefaultResourceRetriever(timeout, timeout, JWKSourceBuilder.DEFAULT_HTTP_SIZE_LIMIT, true));
        return new JwksKeys(location, source, clock, executor, registry);
    }

    /** Keys from {@code source}, kept by the Nimbus chain built here. */
    JwksKeys(
            Location location,
            JWKSetSource<SecurityContext> source,
            Clock clock,
            ScheduledExecutorService executor,
            MeterRegistry registry) {
        this.location = location;
        display = location.display();
        this.clock = clock;
        this.executor = executor;
        this.registry = registry;
        final JwksCache cfg = location.cache();
        final long refresh = cfg.refreshInterval().toMillis();
        tick = tickInterval(cfg.refreshInterval());
        // The cache entry lives refreshInterval plus two ticks, and is refreshed ahead of expiry during those two
        // ticks, so a tick lands in the refresh-ahead window and the refresh starts refreshInterval after a fetch.
        final long refreshAhead = 2 * tick.toMillis();
        final long ttl = refresh + refreshAhead;
        // Nimbus requires refreshAhead + refresh timeout <= ttl; the timeout only bounds how long a second
        // executor thread waits for a fetch in flight.
        final long refreshTimeout = Math.min(cfg.fetchTimeout().toMillis(), refresh);
        // ... and a rate limit shorter than the cache lifetime.
        minRefetchMillis = Math.min(cfg.minRefetchInterval().toMillis(), ttl - 1);
        maxStalenessMillis = cfg.maxStaleness().toMillis();

        fetchSuccesses = counter("success");
        fetchFailures = counter("failure");
        fetchesRateLimited = counter("rate_limited");
        meters.add(Gauge.builder(MetricNames.JWKS_STALENESS, this, JwksKeys::stalenessSeconds)
                .tag(MetricNames.JWKS, display)
                .baseUnit("seconds")
                .description("Age of the JWKS keys in use: time since the last successful fetch (-1 before it)")
                .register(registry));
        meters.add(Gauge.builder(MetricNames.JWKS_AVAILABLE, this, k -> k.usable(k.clock.millis()) ? 1 : 0)
                .tag(MetricNames.JWKS, display)
                .description("1 while the JWKS keys are usable (fetched, not older than maxStaleness)")
                .register(registry));

        final JWKSourceBuilder<SecurityContext> builder = JWKSourceBuilder.create(new Recording(source))
                .cache(ttl, refreshTimeout)
                // Lazy refresh-ahead on our executor, driven by the tick: Nimbus's own scheduler would read the
                // system clock, not the sidecar's.
                .refreshAheadCache(refreshAhead, null, executor, false, null, false)
                .rateLimited(minRefetchMillis, this::onRateLimited)
                .outageTolerant(maxStalenessMillis, this::onOutage)
                .healthReporting(this::onHealth)
                .retrying(false);
        chain = ((JWKSetBasedJWKSource<SecurityContext>) builder.build()).getJWKSetSource();
    }

    static Duration tickInterval(Duration refreshInterval) {
        final Duration quarter = refreshInterval.dividedBy(4);
        if (quarter.compareTo(MAX_TICK) > 0) {
            return MAX_TICK;
        }
        return quarter.compareTo(MIN_TICK) < 0 ? MIN_TICK : quarter;
    }

    private Counter counter(String result) {
        final Counter c = Counter.builder(MetricNames.JWKS_FETCHES)
                .tag(MetricNames.JWKS, display)
                .tag(MetricNames.RESULT, result)
                .description("JWKS fetches by result (rate_limited: a refetch the rate limit held back)")
                .register(registry);
        meters.add(c);
        return c;
    }

    /** Starts fetching now, then keeps the keys fresh. Returns at once: the first fetch runs on the executor. */
    synchronized JwksKeys start() {
        if (ticking == null && !closed) {
            ticking = executor.scheduleWithFixedDelay(this::tick, 0, tick.toMillis(), TimeUnit.MILLISECONDS);
        }
        return this;
    }

    Location location() {
        return location;
    }

    /** Whether keys were fetched at least once (readiness). */
    boolean fetchedOnce() {
        return snapshot != null;
    }

    /** Whether keys are usable at {@code nowMillis}: fetched, and the last good fetch not older than maxStaleness. */
    boolean usable(long nowMillis) {
        final long last = lastSuccessMillis;
        return snapshot != null && last != Long.MIN_VALUE && nowMillis - last <= maxStalenessMillis;
    }

    /**
     * The keys to verify with at {@code nowMillis}.
     *
     * @throws JwtRejection {@link JwtReason#JWKS_UNAVAILABLE} when there are none, or they are too stale
     */
    KeySnapshot current(long nowMillis) throws JwtRejection {
        final KeySnapshot s = snapshot;
        if (s == null) {
            throw new JwtRejection(JwtReason.JWKS_UNAVAILABLE, "no keys fetched yet from " + display);
        }
        final long last = lastSuccessMillis;
        final long age = last == Long.MIN_VALUE ? Long.MAX_VALUE : nowMillis - last;
        if (age > maxStalenessMillis) {
            throw new JwtRejection(
                    JwtReason.JWKS_UNAVAILABLE,
                    "keys from " + display + " are " + age / 1000 + "s old (maxStaleness " + maxStalenessMillis / 1000
                            + "s)");
        }
        return s;
    }

    /** The snapshot in use, usable or not; null before the first fetch. */
    @Nullable
    KeySnapshot snapshot() {
        return snapshot;
    }

    /**
     * Asks for a refetch because a token names a key that {@code seen} does not have. Returns a future that
     * completes (never exceptionally) when the refetch is over (at once if the keys changed since {@code seen}),
     * or null when no refetch may happen now: one ran less than {@code minRefetchInterval} ago, so unknown kids
     * cannot be used to hammer the issuer.
     */
    @Nullable
    CompletableFuture<Void> refetch(KeySnapshot seen) {
        synchronized (refetchLock) {
            if (refetching != null) {
                return refetching;
            }
            if (snapshot != seen) {
                return CompletableFuture.completedFuture(null);
            }
            final long now = clock.millis();
            if (closed || (lastRefetchMillis != Long.MIN_VALUE && now - lastRefetchMillis < minRefetchMillis)) {
                return null;
            }
            lastRefetchMillis = now;
            final CompletableFuture<Void> done = new CompletableFuture<>();
            refetching = done;
            try {
                executor.execute(() -> {
                    try {
                        publish(chain.getJWKSet(JWKSetCacheRefreshEvaluator.forceRefresh(), clock.millis(), null));
                    } catch (KeySourceException e) {
                        // Counted and logged by the chain's listeners; the snapshot stays.
                    } catch (RuntimeException e) {
                        logger.warn("jwks refetch failed jwks={} cause={}", display, e.toString());
                    } finally {
                        synchronized (refetchLock) {
                            refetching = null;
                        }
                        done.complete(null);
                    }
                });
            } catch (RejectedExecutionException e) {
                refetching = null;
                return null;
            }
            return done;
        }
    }

    private void tick() {
        if (closed) {
            return;
        }
        try {
            publish(chain.getJWKSet(JWKSetCacheRefreshEvaluator.noRefresh(), clock.millis(), null));
        } catch (KeySourceException e) {
            // Counted and logged by the chain's listeners; the snapshot stays, usable until maxStaleness.
        } catch (RuntimeException e) {
            logger.warn("jwks refresh failed jwks={} cause={}", display, e.toString());
        }
    }

    private void publish(JWKSet set) {
        final KeySnapshot old = snapshot;
        final KeySnapshot next = old == null ? KeySnapshot.of(set, 0) : old.next(set);
        if (next == old) {
            return;
        }
        snapshot = next;
        if (next.skipped() > 0) {
            logger.warn(
                    "jwks has keys that cannot be used jwks={} skipped={} (too short, not on their curve, or bad)",
                    display,
                    next.skipped());
        }
        logger.info(
                "jwks keys in use jwks={} kids={} withdrawn={}",
                display,
                next.keyIds(),
                old != null && next.generation() != old.generation());
    }

    private double stalenessSeconds() {
        final long last = lastSuccessMillis;
        return last == Long.MIN_VALUE ? -1 : Math.max(0, clock.millis() - last) / 1000.0;
    }

    private void onRateLimited(Event<?, SecurityContext> event) {
        fetchesRateLimited.increment();
        logger.debug("jwks fetch rate-limited jwks={}", display);
    }

    private void onOutage(Event<OutageTolerantJWKSetSource<SecurityContext>, SecurityContext> event) {
        if (event instanceof OutageTolerantJWKSetSource.OutageEvent<SecurityContext> outage) {
            logger.debug(
                    "jwks unreachable, serving the last good keys jwks={} remaining={}s",
                    display,
                    outage.getRemainingTime() / 1000);
        }
    }

    private void onHealth(HealthReport<?, SecurityContext> report) {
        if (report.getHealthStatus() == HealthStatus.NOT_HEALTHY) {
            if (unhealthy.compareAndSet(false, true)) {
                logger.error(
                        "jwks unavailable: no keys within maxStaleness, tokens of its issuers are refused with"
                                + " jwt.jwks_unavailable jwks={} lastSuccess={} cause={}",
                        display,
                        lastSuccessMillis == Long.MIN_VALUE ? "never" : Instant.ofEpochMilli(lastSuccessMillis),
                        describe(report.getException()));
            }
        } else if (unhealthy.compareAndSet(true, false)) {
            logger.info("jwks available again jwks={}", display);
        }
    }

    private static String describe(@Nullable Throwable e) {
        if (e == null) {
            return "-";
        }
        final Throwable root = e.getCause() != null ? e.getCause() : e;
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            if (ticking != null) {
                ticking.cancel(false);
            }
        }
        try {
            chain.close();
        } catch (IOException e) {
            // nothing to release that matters
        }
        meters.forEach(registry::remove);
    }

    /** The bottom of the chain: counts and logs real fetches, and remembers when one last succeeded. */
    private final class Recording implements JWKSetSource<SecurityContext> {

        private final JWKSetSource<SecurityContext> source;

        Recording(JWKSetSource<SecurityContext> source) {
            this.source = source;
        }

        @Override
        public JWKSet getJWKSet(JWKSetCacheRefreshEvaluator evaluator, long currentTime, SecurityContext context)
                throws KeySourceException {
            final JWKSet set;
            try {
                set = source.getJWKSet(evaluator, currentTime, context);
            } catch (KeySourceException | RuntimeException e) {
                fetchFailures.increment();
                if (fetchFailing.compareAndSet(false, true)) {
                    final long last = lastSuccessMillis;
                    if (last == Long.MIN_VALUE) {
                        logger.warn("jwks fetch failed, no keys yet jwks={} cause={}", display, describe(e));
                    } else {
                        logger.warn(
                                "jwks fetch failed, serving the last good keys until maxStaleness jwks={}"
                                        + " lastSuccess={} maxStaleness={}s cause={}",
                                display,
                                Instant.ofEpochMilli(last),
                                maxStalenessMillis / 1000,
                                describe(e));
                    }
                }
                throw e;
            }
            lastSuccessMillis = currentTime;
            fetchSuccesses.increment();
            if (fetchFailing.compareAndSet(true, false)) {
                logger.info("jwks fetch recovered jwks={}", display);
            }
            return set;
        }

        @Override
        public void close() throws IOException {
            source.close();
        }
    }

    @Override
    public String toString() {
        return "JwksKeys{" + display + '}';
    }
}
