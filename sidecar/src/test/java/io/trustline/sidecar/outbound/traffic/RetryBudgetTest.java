package io.trustline.sidecar.outbound.traffic;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.sidecar.config.RetriesConfig;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {

    private final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);

    private RetryBudget budget(double ratio, int minPerSecond, int windowSeconds) {
        return new RetryBudget(
                new RetriesConfig.Budget(ratio, minPerSecond, Duration.ofSeconds(windowSeconds)), nanos::get);
    }

    private int retriesAllowed(RetryBudget budget, int tries) {
        int allowed = 0;
        for (int i = 0; i < tries; i++) {
            if (budget.tryRetry()) {
                allowed++;
            }
        }
        return allowed;
    }

    @Test
    void aQuietRouteStillGetsMinPerSecondTimesTheWindow() {
        assertThat(retriesAllowed(budget(0.2, 10, 10), 1000)).isEqualTo(100);
    }

    @Test
    void retriesAreAShareOfTheRequestsOnTopOfTheMinimum() {
        final RetryBudget budget = budget(0.2, 1, 10);
        for (int i = 0; i < 100; i++) {
            budget.request();
        }
        assertThat(retriesAllowed(budget, 1000)).isEqualTo(20 + 10);
    }

    @Test
    void aZeroBudgetRefusesEveryRetry() {
        final RetryBudget budget = budget(0, 0, 10);
        for (int i = 0; i < 100; i++) {
            budget.request();
        }
        assertThat(budget.tryRetry()).isFalse();
    }

    @Test
    void countsOlderThanTheWindowNoLongerCount() {
        final RetryBudget budget = budget(0.5, 0, 10);
        for (int i = 0; i < 10; i++) {
            budget.request();
        }
        assertThat(retriesAllowed(budget, 100)).isEqualTo(5);

        // Half a window later the old retries still count: no new room.
        nanos.addAndGet(Duration.ofSeconds(5).toNanos());
        assertThat(budget.tryRetry()).isFalse();

        // A whole window later both the requests and the retries are gone.
        nanos.addAndGet(Duration.ofSeconds(6).toNanos());
        assertThat(budget.tryRetry()).isFalse();
        budget.request();
        budget.request();
        assertThat(retriesAllowed(budget, 100)).isEqualTo(1);
    }

    @Test
    void theWindowSlidesBucketByBucket() {
        final RetryBudget budget = budget(1, 0, 10);
        budget.request();
        nanos.addAndGet(Duration.ofSeconds(5).toNanos());
        budget.request();
        assertThat(retriesAllowed(budget, 10)).isEqualTo(2);

        // The first request's bucket leaves the window, the retries' buckets stay: the second request is used up.
        nanos.addAndGet(Duration.ofSeconds(6).toNanos());
        assertThat(budget.tryRetry()).isFalse();
    }
}
