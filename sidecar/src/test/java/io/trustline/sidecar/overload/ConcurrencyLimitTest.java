package io.trustline.sidecar.overload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class ConcurrencyLimitTest {

    /** A waiter that records it ran and keeps its permit until the test releases it. */
    private static final class Recorder extends ConcurrencyLimit.Waiter {
        final List<String> log;
        final String name;

        Recorder(List<String> log, String name) {
            this.log = log;
            this.name = name;
        }

        @Override
        void run() {
            log.add(name);
        }
    }

    @Test
    void permitsUpToTheLimitThenQueueUpToTheBoundThenNothing() {
        final ConcurrencyLimit limit = new ConcurrencyLimit(2, 2);
        final List<String> ran = new ArrayList<>();
        assertThat(limit.tryAcquire()).isTrue();
        assertThat(limit.tryAcquire()).isTrue();
        assertThat(limit.tryAcquire()).isFalse();
        assertThat(limit.enqueue(new Recorder(ran, "a"))).isTrue();
        assertThat(limit.enqueue(new Recorder(ran, "b"))).isTrue();
        assertThat(limit.enqueue(new Recorder(ran, "c"))).isFalse();
        assertThat(limit.pending()).isEqualTo(2);
        assertThat(ran).isEmpty();

        limit.release(); // the oldest waiter gets the permit
        assertThat(ran).containsExactly("a");
        assertThat(limit.active()).isEqualTo(2);
        // Nobody barges past a waiter.
        assertThat(limit.tryAcquire()).isFalse();
        limit.release();
        assertThat(ran).containsExactly("a", "b");
        limit.release();
        limit.release();
        assertThat(limit.active()).isZero();
        assertThat(limit.pending()).isZero();
    }

    @Test
    void aWaiterThatGaveUpIsSkippedAndItsPermitGoesToTheNext() {
        final ConcurrencyLimit limit = new ConcurrencyLimit(1, 2);
        final List<String> ran = new ArrayList<>();
        assertThat(limit.tryAcquire()).isTrue();
        final Recorder gaveUp = new Recorder(ran, "gave-up");
        limit.enqueue(gaveUp);
        limit.enqueue(new Recorder(ran, "next"));
        assertThat(gaveUp.claim()).isTrue(); // its timeout fired
        assertThat(limit.remove(gaveUp)).isTrue();
        limit.release();
        assertThat(ran).containsExactly("next");
        assertThat(limit.pending()).isZero();
        assertThat(limit.active()).isEqualTo(1);
    }

    @Test
    void argumentsAreChecked() {
        assertThatThrownBy(() -> new ConcurrencyLimit(0, 1)).hasMessage("maxConcurrent: 0 (expected: > 0)");
        assertThatThrownBy(() -> new ConcurrencyLimit(1, -1)).hasMessage("maxPending: -1 (expected: >= 0)");
    }

    @Test
    void underContentionNoMoreThanTheLimitRunAndEveryQueuedWaiterRuns() throws Exception {
        final int max = 3;
        final ConcurrencyLimit limit = new ConcurrencyLimit(max, 1_000);
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger peak = new AtomicInteger();
        final AtomicInteger completed = new AtomicInteger();
        final AtomicInteger refused = new AtomicInteger();
        final ExecutorService pool = Executors.newFixedThreadPool(4);
        // As on an event loop: a waiter that gets a permit is served later, elsewhere, not inside release().
        final ExecutorService served = Executors.newFixedThreadPool(2);
        final Runnable work = () -> {
            final int now = running.incrementAndGet();
            peak.accumulateAndGet(now, Math::max);
            running.decrementAndGet();
            completed.incrementAndGet();
            limit.release();
        };
        final int perThread = 20_000;
        final CountDownLatch start = new CountDownLatch(1);
        try {
            final List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        if (limit.tryAcquire()) {
                            work.run();
                        } else if (!limit.enqueue(new ConcurrencyLimit.Waiter() {
                            @Override
                            void run() {
                                served.execute(work);
                            }
                        })) {
                            refused.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            Awaitility.await()
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> completed.get() + refused.get() == 4 * perThread);
        } finally {
            pool.shutdownNow();
            served.shutdownNow();
        }
        assertThat(peak.get()).isLessThanOrEqualTo(max);
        assertThat(limit.active()).isZero();
        assertThat(limit.pending()).isZero();
    }
}
