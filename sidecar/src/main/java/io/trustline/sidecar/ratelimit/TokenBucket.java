package io.trustline.sidecar.ratelimit;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A token bucket kept as one {@code long}: the time at which the bucket will be full again (the "theoretical arrival
 * time" of the generic cell rate algorithm, which is a token bucket by another name). A check is a read and, when
 * it allows, one compare-and-set; a refusal writes nothing, so a flood against one bucket costs reads, not
 * cache-line ping-pong. Time comes from the caller (a Caffeine {@code Ticker}, never the wall clock).
 *
 * <p>A new bucket is full. Since a bucket carries no state once it is full again, dropping it after it has been
 * idle for {@link BucketSpec#capacityNanos()} and creating a new one later hands out exactly what the old one
 * would have: never more than a full bucket.
 */
public final class TokenBucket {

    private static final VarHandle FULL_AT;

    static {
        try {
            FULL_AT = MethodHandles.lookup().findVarHandle(TokenBucket.class, "fullAt", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final BucketSpec spec;

    /** When the bucket is full again, in ticker nanoseconds; at or before now means full. */
    @SuppressWarnings("unused") // accessed through FULL_AT
    private volatile long fullAt;

    public TokenBucket(BucketSpec spec, long now) {
        this.spec = spec;
        fullAt = now;
    }

    public BucketSpec spec() {
        return spec;
    }

    /**
     * Takes one token if there is one.
     *
     * @return {@code > 0}: allowed, and the value is the bucket's debt afterwards (nanoseconds until it is full
     *     again; see {@link BucketSpec#remaining}); {@code < 0}: refused, and the value is minus the debt (see
     *     {@link BucketSpec#retryAfterNanos}); never 0
     */
    public long tryAcquire(long now) {
        final long perToken = spec.nanosPerToken();
        final long capacity = spec.capacityNanos();
        for (; ; ) {
            final long current = (long) FULL_AT.getVolatile(this);
            final long debt = current - now > 0 ? current - now : 0;
            final long after = debt + perToken;
            if (after > capacity) {
                return -debt;
            }
            if (FULL_AT.compareAndSet(this, current, now + after)) {
                return after;
            }
        }
    }

    /**
     * Gives back a token taken by {@link #tryAcquire} (when another limit refused the same request). Cannot make
     * the bucket hold more than its burst: debt below zero counts as a full bucket.
     */
    public void refund() {
        FULL_AT.getAndAdd(this, -spec.nanosPerToken());
    }
}
