package io.trustline.sidecar.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trustline.policy.model.Rate;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TokenBucketTest {

    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    /** "5 per 10 s": 30/m (one token every 2 s) with a burst of 5. */
    private static final BucketSpec FIVE_PER_TEN_SECONDS = BucketSpec.of(Rate.parse("30/m"), 5);

    @Test
    void aNewBucketIsFullAndHandsOutExactlyItsBurst() {
        final TokenBucket b = new TokenBucket(FIVE_PER_TEN_SECONDS, 0);
        for (int i = 1; i <= 5; i++) {
            final long r = b.tryAcquire(0);
            assertThat(r).isPositive();
            assertThat(FIVE_PER_TEN_SECONDS.remaining(r)).isEqualTo(5 - i);
            // RateLimit-Reset: the bucket is full again after i tokens * 2 s.
            assertThat(RateLimitHeaders.ceilSeconds(r)).isEqualTo(2L * i);
        }
        assertThat(b.tryAcquire(0)).isNegative();
    }

    @Test
    void refusalTellsHowLongUntilTheNextToken() {
        final TokenBucket b = new TokenBucket(FIVE_PER_TEN_SECONDS, 0);
        for (int i = 0; i < 5; i++) {
            b.tryAcquire(0);
        }
        final long now = SECOND / 2; // half a second later: 1.5 s until the first token comes back
        final long r = b.tryAcquire(now);
        assertThat(r).isNegative();
        assertThat(-r).isEqualTo(10 * SECOND - now); // debt: until full
        assertThat(FIVE_PER_TEN_SECONDS.retryAfterNanos(-r)).isEqualTo(2 * SECOND - now);
        assertThat(RateLimitHeaders.ceilSeconds(FIVE_PER_TEN_SECONDS.retryAfterNanos(-r)))
                .isEqualTo(2); // Retry-After rounds up
    }

    @Test
    void refillsOneTokenPerIntervalAndNeverBeyondTheBurst() {
        final TokenBucket b = new TokenBucket(FIVE_PER_TEN_SECONDS, 0);
        for (int i = 0; i < 5; i++) {
            b.tryAcquire(0);
        }
        assertThat(b.tryAcquire(2 * SECOND - 1)).isNegative();
        assertThat(b.tryAcquire(2 * SECOND)).isPositive();
        assertThat(b.tryAcquire(2 * SECOND)).isNegative();
        // An hour idle refills to the burst, not to 1,800 tokens.
        final long later = 3600 * SECOND;
        int allowed = 0;
        while (b.tryAcquire(later) > 0) {
            allowed++;
        }
        assertThat(allowed).isEqualTo(5);
    }

    @Test
    void refusalsTakeNothing() {
        final TokenBucket b = new TokenBucket(BucketSpec.of(Rate.parse("1/s"), 1), 0);
        assertThat(b.tryAcquire(0)).isPositive();
        for (int i = 0; i < 100; i++) {
            assertThat(b.tryAcquire(0)).isNegative();
        }
        assertThat(b.tryAcquire(SECOND)).isPositive();
    }

    @Test
    void refundGivesATokenBackButNeverMoreThanABurst() {
        final TokenBucket b = new TokenBucket(BucketSpec.of(Rate.parse("1/s"), 2), 0);
        b.tryAcquire(0);
        b.tryAcquire(0);
        b.refund();
        assertThat(b.tryAcquire(0)).isPositive();
        assertThat(b.tryAcquire(0)).isNegative();
        // Refunds into a full bucket do not raise it above its burst.
        final TokenBucket full = new TokenBucket(BucketSpec.of(Rate.parse("1/s"), 2), 0);
        full.refund();
        full.refund();
        assertThat(full.tryAcquire(0)).isPositive();
        assertThat(full.tryAcquire(0)).isPositive();
        assertThat(full.tryAcquire(0)).isNegative();
    }

    @Test
    void hugeBurstsAndSlowRatesSaturateInsteadOfOverflowing() {
        final BucketSpec spec = BucketSpec.of(Rate.parse("1/h"), 1_000_000_000L);
        assertThat(spec.capacityNanos()).isEqualTo(BucketSpec.MAX_CAPACITY_NANOS);
        final TokenBucket b = new TokenBucket(spec, Long.MAX_VALUE - 10);
        assertThat(b.tryAcquire(Long.MAX_VALUE - 10)).isPositive();
    }

    @Test
    void specArgumentsAreChecked() {
        assertThatThrownBy(() -> BucketSpec.of(0, 1)).hasMessage("burst: 0 (expected: > 0)");
        assertThatThrownBy(() -> BucketSpec.of(1, 0)).hasMessage("nanosPerToken: 0 (expected: > 0)");
    }

    @Test
    void concurrentCallersGetExactlyTheBurstBetweenThem() throws Exception {
        final int burst = 10_000;
        final TokenBucket b = new TokenBucket(BucketSpec.of(Rate.parse("1/h"), burst), 0);
        final int threads = 4;
        final AtomicInteger allowed = new AtomicInteger();
        final CountDownLatch start = new CountDownLatch(1);
        final ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            final Future<?>[] done = new Future<?>[threads];
            for (int t = 0; t < threads; t++) {
                done[t] = pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < burst; i++) {
                        if (b.tryAcquire(0) > 0) {
                            allowed.incrementAndGet();
                        }
                    }
                    return null;
                });
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(allowed.get()).isEqualTo(burst);
    }
}
