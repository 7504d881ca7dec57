package io.trustline.sidecar.ratelimit;

import io.trustline.policy.model.Rate;

/**
 * The shape of a token bucket: {@code burst} tokens at most, one token added back every {@code nanosPerToken}.
 * Held as nanoseconds so that a check is integer arithmetic on one {@code long} (see {@link TokenBucket}).
 */
public final class BucketSpec {

    /** A bucket never holds more debt than this (about 73 years), so that the arithmetic cannot overflow. */
    static final long MAX_CAPACITY_NANOS = Long.MAX_VALUE >> 2;

    private final long burst;
    private final long nanosPerToken;
    private final long capacityNanos;

    private BucketSpec(long burst, long nanosPerToken) {
        if (burst < 1) {
            throw new IllegalArgumentException("burst: " + burst + " (expected: > 0)");
        }
        if (nanosPerToken < 1) {
            throw new IllegalArgumentException("nanosPerToken: " + nanosPerToken + " (expected: > 0)");
        }
        this.burst = burst;
        this.nanosPerToken = nanosPerToken;
        final long product = burst * nanosPerToken;
        capacityNanos = Math.multiplyHigh(burst, nanosPerToken) != 0 || product < 0 || product > MAX_CAPACITY_NANOS
                ? MAX_CAPACITY_NANOS
                : product;
    }

    /** A bucket of {@code burst} tokens refilled at {@code rate}. */
    public static BucketSpec of(Rate rate, long burst) {
        return new BucketSpec(burst, rate.nanosPerToken());
    }

    /** A bucket of {@code burst} tokens refilled by one every {@code nanosPerToken}. */
    public static BucketSpec of(long burst, long nanosPerToken) {
        return new BucketSpec(burst, nanosPerToken);
    }

    /** The bucket size: what {@code RateLimit-Limit} reports. */
    public long burst() {
        return burst;
    }

    public long nanosPerToken() {
        return nanosPerToken;
    }

    /** How long an empty bucket takes to fill up: {@code burst * nanosPerToken}, saturated. */
    public long capacityNanos() {
        return capacityNanos;
    }

    /** Tokens left after an allowed acquisition that returned {@code debt} (see {@link TokenBucket#tryAcquire}). */
    public long remaining(long debt) {
        return Math.max(0, (capacityNanos - debt) / nanosPerToken);
    }

    /** Nanoseconds until one token is available, for a refusal whose bucket had {@code debt}. */
    public long retryAfterNanos(long debt) {
        return Math.max(1, debt + nanosPerToken - capacityNanos);
    }

    @Override
    public String toString() {
        return "BucketSpec{burst=" + burst + ", nanosPerToken=" + nanosPerToken + '}';
    }
}
