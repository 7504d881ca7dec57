package io.trustline.sidecar.jwt;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.trustline.policy.model.JwtProvider;
import io.trustline.policy.model.ReplayGuard;
import io.trustline.sidecar.config.JwtConfig;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.request.JwtFailure;
import io.trustline.sidecar.request.JwtReason;
import io.trustline.sidecar.request.VerifiedToken;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Counts the uses of tokens whose issuer has a {@code replay} guard, keyed by issuer and {@code jti}, in a bounded
 * Caffeine store whose entries expire with the token ({@code exp} plus the issuer's clock skew) or, with a
 * {@code window}, that long after the first use, whichever comes first. Per sidecar: each replica counts on its own,
 * so a single-use token can still be used once on each replica. Kept across policy reloads, so a reload does not
 * reset the counts.
 *
 * <p>Fails closed when full: a token it does not remember yet is refused ({@code jwt.replay_store_full}) while
 * {@code maxEntries} tokens are remembered, rather than admitted at the cost of forgetting one that was used (which
 * could then be replayed). Room comes back as remembered tokens expire. Caffeine's own size bound sits a little above
 * {@code maxEntries}, only as a memory backstop: admission never lets the store reach it, and any entry it drops is
 * counted on {@code trustline.jwt.replay.evictions}, which should stay 0.
 */
final class TokenReplayGuard {

    /** Entries remembered by default: about 200 bytes each. */
    static final int DEFAULT_MAX_ENTRIES = JwtConfig.DEFAULT_REPLAY_STORE_SIZE;

    /** Head room of Caffeine's size bound over the admission bound, for admissions racing on other threads. */
    private static final int BACKSTOP_SLACK = 1024;

    /** A full store looks for expired entries at most this often (clock time), not on every refused token. */
    private static final long CLEAN_UP_INTERVAL_MILLIS = 1000;

    /** Longer {@code jti} values are hashed into the key rather than kept whole. */
    private static final int MAX_JTI_CHARS = 128;

    private final Clock clock;
    private final int maxEntries;
    private final Cache<String, Uses> uses;
    /** Entries in the store, expired or not until Caffeine removes them; never above {@link #maxEntries}. */
    private final AtomicInteger entries = new AtomicInteger();

    private final AtomicLong lastCleanUpMillis = new AtomicLong();

    /** Uses of one token so far, and when counting stops (epoch millis). Immutable: replaced on each use. */
    private record Uses(int count, long untilMillis) {}

    TokenReplayGuard(int maxEntries, Clock clock, MeterRegistry meters) {
        this.clock = clock;
        this.maxEntries = maxEntries;
        final Counter evictions = Counter.builder(MetricNames.JWT_REPLAY_EVICTIONS)
                .description("Replay-guard entries forgotten before their token expired (a memory backstop; stays 0)")
                .register(meters);
        Gauge.builder(MetricNames.JWT_REPLAY_STORE_ENTRIES, entries, AtomicInteger::get)
                .description("Tokens the replay guard remembers; new tokens are refused when it reaches its size")
                .register(meters);
        uses = Caffeine.newBuilder()
                .maximumSize((long) maxEntries + BACKSTOP_SLACK)
                // Upkeep on the calling thread, not a wake-up of the common pool every few requests.
                .executor(Runnable::run)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .expireAfter(Expiry.<String, Uses>creating(
                        (k, v) -> java.time.Duration.ofMillis(Math.max(0, v.untilMillis() - clock.millis()))))
                .evictionListener((@Nullable String k, @Nullable Uses v, RemovalCause cause) -> {
                    // Synchronous, also when a compute finds the entry expired: the count stays exact.
                    entries.decrementAndGet();
                    if (cause == RemovalCause.SIZE) {
                        evictions.increment();
                    }
                })
                .build();
    }

    /** Counts a use of {@code key}; null when it is a token not remembered yet and the store is full. */
    private @Nullable Uses count(String key, long now, long until) {
        return uses.asMap().compute(key, (k, old) -> {
            if (old == null) {
                // A new entry (or one Caffeine just found expired, whose removal the listener has counted).
                if (entries.incrementAndGet() > maxEntries) {
                    entries.decrementAndGet();
                    return null;
                }
                return new Uses(1, until);
            }
            return old.untilMillis() <= now ? new Uses(1, until) : new Uses(old.count() + 1, old.untilMillis());
        });
    }

    /** Removes expired entries so that their room can be used, at most once per interval; whether it ran. */
    private boolean cleanUp(long now) {
        final long last = lastCleanUpMillis.get();
        if (now - last < CLEAN_UP_INTERVAL_MILLIS || !lastCleanUpMillis.compareAndSet(last, now)) {
            return false;
        }
        uses.cleanUp();
        return true;
    }

    /** Runs pending evictions now (tests). */
    void cleanUp() {
        uses.cleanUp();
    }

    private static String hashed(String jti) {
        final TokenHash h = TokenHash.of(jti);
        return "#" + Long.toHexString(h.a()) + Long.toHexString(h.b()) + Long.toHexString(h.c())
                + Long.toHexString(h.d());
    }

    /** Counts this use of {@code token}; the failure when it is refused (or would be, in audit mode), else null. */
    @Nullable
    JwtFailure check(JwtProvider provider, VerifiedToken token) {
        final ReplayGuard guard = provider.replay().orElse(null);
        if (guard == null) {
            return null;
        }
        final Object jti = token.claims().get("jti");
        if (!(jti instanceof String id) || id.isEmpty()) {
            return guard.requireJti()
                    ? new JwtFailure(
                            JwtReason.MISSING_JTI,
                            provider.issuer(),
                            "no jti, and the issuer's replay guard" + " counts tokens by it",
                            guard.mode())
                    : null;
        }
        final long now = clock.millis();
        final long expires =
                token.expiresAt().toEpochMilli() + provider.clockSkew().toMillis();
        final long until = guard.window().isPresent()
                ? Math.min(expires, now + guard.window().get().toMillis())
                : expires;
        final String key = provider.issuer() + '\n' + (id.length() > MAX_JTI_CHARS ? hashed(id) : id);
        Uses u = count(key, now, until);
        if (u == null && cleanUp(now)) {
            u = count(key, now, until);
        }
        if (u == null) {
            return new JwtFailure(
                    JwtReason.REPLAY_STORE_FULL,
                    provider.issuer(),
                    "the replay guard remembers " + maxEntries + " tokens (jwt.replayStoreSize), none expired yet",
                    guard.mode());
        }
        if (u.count() <= guard.maxUses()) {
            return null;
        }
        return new JwtFailure(
                JwtReason.REPLAYED,
                provider.issuer(),
                "use " + u.count() + " of a token allowed " + guard.maxUses()
                        + (guard.maxUses() == 1 ? " use" : " uses"),
                guard.mode());
    }
}
