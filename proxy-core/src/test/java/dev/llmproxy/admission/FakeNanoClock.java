package dev.llmproxy.admission;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link NanoClock} that moves only when a test moves it. Starts far below zero by default, because a real
 * monotonic clock's origin is arbitrary and the code under test may rely only on differences.
 */
final class FakeNanoClock implements NanoClock {

    static final long DEFAULT_START = -7_000_000_000_000_000L;

    private final AtomicLong now;

    FakeNanoClock() {
        this(DEFAULT_START);
    }

    FakeNanoClock(long start) {
        this.now = new AtomicLong(start);
    }

    @Override
    public long nanoTime() {
        return now.get();
    }

    void advance(Duration step) {
        advanceNanos(step.toNanos());
    }

    void advanceNanos(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("a monotonic clock never goes back: " + nanos);
        }
        now.addAndGet(nanos);
    }
}
