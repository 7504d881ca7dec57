package io.trustline.sidecar.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * The buckets of one limit, one per key value, in a Caffeine cache bounded by a maximum number of keys and expiring
 * a bucket once it has been idle long enough to be full again (so a bucket recreated later is exactly what the old
 * one would have been; see {@link TokenBucket}). Memory is bounded whatever the traffic: a flood of distinct keys
 * (source addresses, paths) evicts buckets, and an evicted bucket comes back full, which only ever errs toward the
 * caller whose bucket was evicted.
 */
public final class KeyedBuckets {

    /** Buckets idle for less than this are kept even when full, so steady callers do not churn the cache. */
    static final Duration MIN_IDLE = Duration.ofMinutes(1);

    private final BucketSpec spec;
    private final Map<String, BucketSpec> overrides;
    private final Ticker ticker;
    private final Cache<String, TokenBucket> buckets;
    private final Function<String, TokenBucket> create = this::create;

    /**
     * @param spec the bucket of every key without an override
     * @param overrides a different bucket for some key values
     * @param maxKeys the most buckets kept at once
     * @param executor where Caffeine does its maintenance (eviction); {@code Runnable::run} for tests
     */
    public KeyedBuckets(
            BucketSpec spec, Map<String, BucketSpec> overrides, long maxKeys, Ticker ticker, Executor executor) {
        if (maxKeys < 1) {
            throw new IllegalArgumentException("maxKeys: " + maxKeys + " (expected: > 0)");
        }
        this.spec = spec;
        this.overrides = Map.copyOf(overrides);
        this.ticker = ticker;
        long idle = spec.capacityNanos();
        for (BucketSpec o : this.overrides.values()) {
            idle = Math.max(idle, o.capacityNanos());
        }
        buckets = Caffeine.newBuilder()
                .maximumSize(maxKeys)
                .expireAfterAccess(Duration.ofNanos(Math.max(idle, MIN_IDLE.toNanos())))
                .ticker(ticker)
                .executor(executor)
                .build();
    }

    /** The bucket of {@code key}, created full if there is none. */
    public TokenBucket bucket(String key) {
        return buckets.get(key, create);
    }

    /** Takes a token from {@code key}'s bucket now; see {@link TokenBucket#tryAcquire} for the result. */
    public long tryAcquire(String key) {
        return bucket(key).tryAcquire(ticker.read());
    }

    /** How many buckets are held, after pending evictions have been done. */
    public long size() {
        buckets.cleanUp();
        return buckets.estimatedSize();
    }

    private TokenBucket create(String key) {
        final BucketSpec s = overrides.isEmpty() ? spec : overrides.getOrDefault(key, spec);
        return new TokenBucket(s, ticker.read());
    }
}
