package io.trustline.sidecar.overload;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The permits of one listener: at most {@code maxConcurrent} requests hold one at a time, at most {@code maxPending}
 * more wait in a FIFO queue. Lock-free; a released permit goes to the oldest waiter. Waiters are handed permits by
 * {@link #drain()}, which every release and every new waiter calls, so a permit released while a waiter was being
 * queued is never lost.
 */
final class ConcurrencyLimit {

    /** A queued request: {@link #run} is called with a permit held, {@link #claim} decides who owns it. */
    abstract static class Waiter {
        private final AtomicInteger state = new AtomicInteger();

        /** Whether the caller (the drain or the timeout) is the one that completes this waiter. */
        final boolean claim() {
            return state.compareAndSet(0, 1);
        }

        /** Serves the request; the permit is now the request's and is released when it completes. */
        abstract void run();
    }

    private final int maxConcurrent;
    private final int maxPending;
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private final Queue<Waiter> queue = new ConcurrentLinkedQueue<>();

    ConcurrencyLimit(int maxConcurrent, int maxPending) {
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("maxConcurrent: " + maxConcurrent + " (expected: > 0)");
        }
        if (maxPending < 0) {
            throw new IllegalArgumentException("maxPending: " + maxPending + " (expected: >= 0)");
        }
        this.maxConcurrent = maxConcurrent;
        this.maxPending = maxPending;
    }

    /** Takes a permit if one is free and nobody is waiting for one (no barging past the queue). */
    boolean tryAcquire() {
        return pending.get() == 0 && acquirePermit();
    }

    /** Queues {@code waiter} if there is room; the caller must not touch it after {@code false}. */
    boolean enqueue(Waiter waiter) {
        for (; ; ) {
            final int p = pending.get();
            if (p >= maxPending) {
                return false;
            }
            if (pending.compareAndSet(p, p + 1)) {
                break;
            }
        }
        queue.add(waiter);
        drain();
        return true;
    }

    /** Takes a waiter that gave up (timed out) out of the queue; false if a drain took it first. */
    boolean remove(Waiter waiter) {
        if (queue.remove(waiter)) {
            pending.decrementAndGet();
            return true;
        }
        return false;
    }

    /** Gives a permit back, and to the oldest waiter if there is one. */
    void release() {
        active.decrementAndGet();
        drain();
    }

    private boolean acquirePermit() {
        if (active.incrementAndGet() <= maxConcurrent) {
            return true;
        }
        active.decrementAndGet();
        return false;
    }

    private void drain() {
        while (!queue.isEmpty() && acquirePermit()) {
            final Waiter w = queue.poll();
            if (w == null) {
                active.decrementAndGet(); // emptied meanwhile; whoever queues next drains again
                continue;
            }
            pending.decrementAndGet();
            if (w.claim()) {
                w.run();
            } else {
                active.decrementAndGet(); // it timed out as we took it: the permit goes to the next one
            }
        }
    }

    int active() {
        return active.get();
    }

    int pending() {
        return pending.get();
    }
}
