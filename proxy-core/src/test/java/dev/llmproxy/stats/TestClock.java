package dev.llmproxy.stats;

import dev.llmproxy.admission.NanoClock;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A monotonic clock that moves only when a test moves it, starting far from zero because only differences between
 * readings may matter to the code under test.
 */
final class TestClock implements NanoClock {
    private final AtomicLong now = new AtomicLong(-3_000_000_000_000_000L);

    @Override
    public long nanoTime() {
        return now.get();
    }

    void advance(Duration step) {
        now.addAndGet(step.toNanos());
    }
}
