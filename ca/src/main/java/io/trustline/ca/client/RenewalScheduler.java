package io.trustline.ca.client;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the client's renewals and retries after a delay. Injectable so that tests drive renewals
 * with a fake clock instead of waiting.
 */
@FunctionalInterface
public interface RenewalScheduler {

    /** Runs {@code task} once after {@code delay}; returns a handle to cancel it. */
    Task schedule(Runnable task, Duration delay);

    /** A scheduled run. */
    @FunctionalInterface
    interface Task {
        /** Cancels the run if it has not started. */
        void cancel();
    }

    /** Returns a scheduler backed by an executor (which the caller owns and shuts down). */
    static RenewalScheduler of(ScheduledExecutorService executor) {
        requireNonNull(executor, "executor");
        return (task, delay) -> {
            final ScheduledFuture<?> future = executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
            return () -> future.cancel(false);
        };
    }
}
