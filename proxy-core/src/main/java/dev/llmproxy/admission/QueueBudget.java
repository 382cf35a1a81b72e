package dev.llmproxy.admission;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one bound on requests waiting for an upstream slot, shared by every {@link ConcurrencyGate}
 * ({@code UPSTREAM_QUEUE_MAX}): a waiter holds one unit from the moment it is queued until it is granted, cancelled
 * or expired. Exact, never above {@link #max()}. Thread-safe and lock-free.
 */
public final class QueueBudget {

    private final int max;
    private final AtomicInteger used = new AtomicInteger();

    /** @param max waiters allowed at once across all gates; 0 = never queue, reject when there is no slot */
    public QueueBudget(int max) {
        if (max < 0) {
            throw new IllegalArgumentException("max: " + max + " (expected: >= 0)");
        }
        this.max = max;
    }

    /** Takes one unit if one is left. */
    public boolean tryTake() {
        for (;;) {
            int n = used.get();
            if (n >= max) {
                return false;
            }
            if (used.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Returns a unit taken by {@link #tryTake()}; returning one that was never taken is a bug and throws. */
    public void giveBack() {
        for (;;) {
            int n = used.get();
            if (n <= 0) {
                throw new IllegalStateException("queue budget given back more often than taken");
            }
            if (used.compareAndSet(n, n - 1)) {
                return;
            }
        }
    }

    public int used() {
        return used.get();
    }

    public int max() {
        return max;
    }
}
