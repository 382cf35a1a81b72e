package dev.llmproxy.cluster;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A {@link SharedClock} that moves only when a test moves it; starts at a plausible "now" in microseconds. */
final class ManualSharedClock implements SharedClock {

    static final long START_MICROS = 1_780_000_000_000_000L;

    private final AtomicLong micros = new AtomicLong(START_MICROS);

    @Override
    public long nowMicros() {
        return micros.get();
    }

    void advance(Duration step) {
        micros.addAndGet(step.toNanos() / 1_000);
    }

    void advanceMicros(long step) {
        micros.addAndGet(step);
    }
}
