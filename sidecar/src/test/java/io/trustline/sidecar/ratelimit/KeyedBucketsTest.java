package io.trustline.sidecar.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.policy.model.Rate;
import io.trustline.sidecar.testing.FakeTicker;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeyedBucketsTest {

    private final FakeTicker ticker = new FakeTicker();

    private int drain(KeyedBuckets buckets, String key) {
        int n = 0;
        while (buckets.tryAcquire(key) > 0) {
            n++;
        }
        return n;
    }

    @Test
    void eachKeyHasItsOwnBucketAndOverridesTheirOwnSize() {
        final KeyedBuckets buckets = new KeyedBuckets(
                BucketSpec.of(Rate.parse("10/m"), 3),
                Map.of("spiffe://example.org/ns/batch/sa/job", BucketSpec.of(Rate.parse("100/m"), 50)),
                100,
                ticker,
                Runnable::run);
        assertThat(drain(buckets, "spiffe://example.org/ns/shop/sa/a")).isEqualTo(3);
        assertThat(drain(buckets, "spiffe://example.org/ns/shop/sa/b")).isEqualTo(3);
        assertThat(drain(buckets, "spiffe://example.org/ns/batch/sa/job")).isEqualTo(50);
    }

    @Test
    void aBucketDroppedAfterIdlingComesBackFullAndNoFuller() {
        // 1 token a minute, burst 2: full again 2 minutes after it was emptied.
        final KeyedBuckets buckets =
                new KeyedBuckets(BucketSpec.of(Rate.parse("1/m"), 2), Map.of(), 100, ticker, Runnable::run);
        assertThat(drain(buckets, "a")).isEqualTo(2);
        ticker.advance(Duration.ofMinutes(1));
        // Not idle long enough to be dropped: one token came back, not a fresh bucket.
        assertThat(drain(buckets, "a")).isEqualTo(1);
        ticker.advance(Duration.ofHours(5));
        assertThat(buckets.size()).isZero(); // dropped after idling
        assertThat(drain(buckets, "a")).isEqualTo(2); // a new bucket is a full one, never more
    }

    @Test
    void memoryStaysBoundedWhenAMillionDistinctKeysPassThrough() {
        final long maxKeys = 10_000;
        final KeyedBuckets buckets =
                new KeyedBuckets(BucketSpec.of(Rate.parse("10/s"), 20), Map.of(), maxKeys, ticker, Runnable::run);
        for (int i = 0; i < 1_000_000; i++) {
            // As many source addresses as a flood brings: 10.x.y.z
            final String ip = "10." + ((i >> 16) & 0xff) + '.' + ((i >> 8) & 0xff) + '.' + (i & 0xff);
            assertThat(buckets.tryAcquire(ip)).isPositive();
            if ((i & 0xffff) == 0) {
                assertThat(buckets.size()).isLessThanOrEqualTo(maxKeys);
            }
        }
        assertThat(buckets.size()).isLessThanOrEqualTo(maxKeys);
    }
}
