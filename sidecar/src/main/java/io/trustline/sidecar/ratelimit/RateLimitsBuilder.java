package io.trustline.sidecar.ratelimit;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.trustline.policy.engine.ServicePolicy;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Supplier;

/** Builds {@link RateLimits}. */
public final class RateLimitsBuilder {

    /** Default {@link #maxKeysPerLimit}: ten thousand buckets per limit (and per penalty table). */
    public static final long DEFAULT_MAX_KEYS_PER_LIMIT = 10_000;

    private final Supplier<ServicePolicy> policy;
    private final String service;
    private Ticker ticker = Ticker.systemTicker();
    private MeterRegistry meters = new SimpleMeterRegistry();
    private long maxKeysPerLimit = DEFAULT_MAX_KEYS_PER_LIMIT;
    private Executor executor = ForkJoinPool.commonPool();

    RateLimitsBuilder(Supplier<ServicePolicy> policy, String service) {
        this.policy = requireNonNull(policy, "policy");
        this.service = requireNonNull(service, "service");
    }

    /** The time source of every bucket and penalty (default: {@link Ticker#systemTicker()}, never wall clock). */
    public RateLimitsBuilder ticker(Ticker ticker) {
        this.ticker = requireNonNull(ticker, "ticker");
        return this;
    }

    /** Where refusal and penalty metrics go (default: a private registry nobody reads). */
    public RateLimitsBuilder meterRegistry(MeterRegistry meters) {
        this.meters = requireNonNull(meters, "meters");
        return this;
    }

    /**
     * The most buckets one limit keeps (default {@value #DEFAULT_MAX_KEYS_PER_LIMIT}); also bounds the penalty box's
     * failure counts and boxed callers. The least valuable buckets are evicted beyond it.
     */
    public RateLimitsBuilder maxKeysPerLimit(long maxKeysPerLimit) {
        if (maxKeysPerLimit < 1) {
            throw new IllegalArgumentException("maxKeysPerLimit: " + maxKeysPerLimit + " (expected: > 0)");
        }
        this.maxKeysPerLimit = maxKeysPerLimit;
        return this;
    }

    /** Where the caches do their maintenance (default: the common pool; tests pass {@code Runnable::run}). */
    public RateLimitsBuilder executor(Executor executor) {
        this.executor = requireNonNull(executor, "executor");
        return this;
    }

    public RateLimits build() {
        return new RateLimits(policy, service, ticker, meters, maxKeysPerLimit, executor);
    }
}
