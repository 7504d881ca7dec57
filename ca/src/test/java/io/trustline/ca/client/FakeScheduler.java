package io.trustline.ca.client;

import io.trustline.ca.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A scheduler driven by a {@link MutableClock}: tasks run in the test thread when the test moves
 * time past their due time.
 */
final class FakeScheduler implements RenewalScheduler {

    private final MutableClock clock;
    private final List<Entry> entries = new ArrayList<>();

    FakeScheduler(MutableClock clock) {
        this.clock = clock;
    }

    private static final class Entry {
        final Runnable task;
        final Instant due;
        boolean cancelled;

        Entry(Runnable task, Instant due) {
            this.task = task;
            this.due = due;
        }
    }

    @Override
    public synchronized Task schedule(Runnable task, Duration delay) {
        final Entry entry = new Entry(task, clock.instant().plus(delay));
        entries.add(entry);
        return () -> {
            synchronized (FakeScheduler.this) {
                entry.cancelled = true;
            }
        };
    }

    /** Returns when the next live task is due. */
    synchronized Optional<Instant> nextDue() {
        return entries.stream().filter(e -> !e.cancelled).map(e -> e.due).min(Comparator.naturalOrder());
    }

    /** Returns how many live tasks wait. */
    synchronized long pending() {
        return entries.stream().filter(e -> !e.cancelled).count();
    }

    /** Moves the clock to the next due task and runs it; returns false if nothing is scheduled. */
    boolean runNext() {
        final Entry next;
        synchronized (this) {
            next = entries.stream()
                    .filter(e -> !e.cancelled)
                    .min(Comparator.comparing(e -> e.due))
                    .orElse(null);
            if (next == null) {
                return false;
            }
            entries.remove(next);
        }
        if (clock.instant().isBefore(next.due)) {
            clock.set(next.due);
        }
        next.task.run();
        return true;
    }
}
