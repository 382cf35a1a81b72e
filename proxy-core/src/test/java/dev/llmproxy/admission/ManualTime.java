package dev.llmproxy.admission;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.function.LongSupplier;

/**
 * A wall clock and a nano clock that move only when a test says so, and always together, as the real ones do.
 * The nano clock starts wherever the test likes (near overflow, to prove comparisons are wrap-safe).
 */
final class ManualTime {
    private volatile Instant wall;
    private volatile long nanos;

    ManualTime(Instant start) {
        this(start, 1_000_000_000_000L);
    }

    ManualTime(Instant start, long startNanos) {
        this.wall = start;
        this.nanos = startNanos;
    }

    static ManualTime at(String isoInstant) {
        return new ManualTime(Instant.parse(isoInstant));
    }

    void advance(Duration duration) {
        wall = wall.plus(duration);
        nanos += duration.toNanos();
    }

    /** A wall-clock step (NTP, an operator): the monotonic clock does not move. */
    void stepWallClock(Duration step) {
        wall = wall.plus(step);
    }

    Instant now() {
        return wall;
    }

    long nanos() {
        return nanos;
    }

    LongSupplier nanoTime() {
        return () -> nanos;
    }

    Clock clock() {
        return clock(ZoneOffset.UTC);
    }

    /** The same instants seen from another zone: the UTC logic must not depend on the clock's zone. */
    Clock clock(ZoneId zone) {
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return zone;
            }

            @Override
            public Clock withZone(ZoneId other) {
                return clock(other);
            }

            @Override
            public Instant instant() {
                return wall;
            }
        };
    }
}
