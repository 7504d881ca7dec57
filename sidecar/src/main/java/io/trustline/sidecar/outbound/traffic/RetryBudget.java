package io.trustline.sidecar.outbound.traffic;

import io.trustline.sidecar.config.RetriesConfig;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A route's retry budget: within the last {@code window}, retries may number at most {@code ratio} of the route's
 * requests plus {@code minPerSecond} for each second of the window (Linkerd's budget; Envoy's {@code retry_budget} is
 * the same idea over requests in flight). Armeria 1.40's {@code RetryLimiter}s limit retries in flight
 * ({@code concurrencyLimiting}) or by gRPC's token bucket ({@code tokenBased}), not as a share of the traffic, and a
 * limiter that refuses fails the request with {@code RetryLimitedException} where the caller should get the upstream's
 * own answer: so the route's retry rule asks this budget and, when it refuses, keeps that answer.
 *
 * <p>Counts live in ten buckets of a tenth of the window each, the oldest dropped as time moves on; time comes from
 * {@code nanoTime} (injected in tests), never the wall clock.
 */
public final class RetryBudget {

    private static final int BUCKETS = 10;

    private final double ratio;
    private final long minRetries;
    private final long bucketNanos;
    private final LongSupplier nanoTime;
    private final long[] requests = new long[BUCKETS];
    private final long[] retries = new long[BUCKETS];
    private final long[] bucketTicks = new long[BUCKETS];

    RetryBudget(RetriesConfig.Budget config, LongSupplier nanoTime) {
        this.ratio = config.ratio();
        this.minRetries = (long) config.minPerSecond() * config.window().toSeconds();
        this.bucketNanos = Math.max(1, config.window().toNanos() / BUCKETS);
        this.nanoTime = nanoTime;
        java.util.Arrays.fill(bucketTicks, Long.MIN_VALUE);
    }

    /** The budget of {@code config}, on {@link System#nanoTime}. */
    public static RetryBudget of(RetriesConfig.Budget config) {
        return new RetryBudget(config, System::nanoTime);
    }

    /** Counts one request of the route (not a retry). */
    public synchronized void request() {
        requests[bucket(tick())]++;
    }

    /** Whether one more retry fits the budget now; if it does, it is counted. */
    public synchronized boolean tryRetry() {
        final long tick = tick();
        long requestsInWindow = 0;
        long retriesInWindow = 0;
        for (int i = 0; i < BUCKETS; i++) {
            if (bucketTicks[i] > tick - BUCKETS) {
                requestsInWindow += requests[i];
                retriesInWindow += retries[i];
            }
        }
        if (retriesInWindow + 1 > minRetries + ratio * requestsInWindow) {
            return false;
        }
        retries[bucket(tick)]++;
        return true;
    }

    private long tick() {
        return nanoTime.getAsLong() / bucketNanos;
    }

    /** The bucket of {@code tick}, emptied first if it last counted an older tick. */
    private int bucket(long tick) {
        final int i = (int) Math.floorMod(tick, (long) BUCKETS);
        if (bucketTicks[i] != tick) {
            bucketTicks[i] = tick;
            requests[i] = 0;
            retries[i] = 0;
        }
        return i;
    }

    @Override
    public String toString() {
        return "RetryBudget{ratio=" + ratio + ", minRetries=" + minRetries + ", window="
                + TimeUnit.NANOSECONDS.toMillis(bucketNanos * BUCKETS) + "ms}";
    }
}
