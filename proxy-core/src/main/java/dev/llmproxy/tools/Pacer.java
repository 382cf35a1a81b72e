package dev.llmproxy.tools;

import java.time.Duration;

/**
 * Spaces sequential requests so a tool run stays within upstream limits: {@code interval} between two requests, and
 * after a 429 its {@code Retry-After} instead when longer, capped at {@code maxWait} so one refusal cannot stall a
 * run for hours. Not thread-safe; one per run.
 */
final class Pacer {
    private final ToolContext.Sleeper sleeper;
    private final Duration interval;
    private final Duration maxWait;
    private boolean first = true;
    private Duration next;

    Pacer(ToolContext.Sleeper sleeper, Duration interval, Duration maxWait) {
        this.sleeper = sleeper;
        this.interval = interval;
        this.maxWait = maxWait;
        this.next = interval;
    }

    /** Parses a seconds option ({@code --interval}, {@code --max-wait}): fractions allowed, from 0 to one hour. */
    static Duration seconds(String option, double value) {
        if (!(value >= 0 && value <= 3600)) {
            throw ToolException.usage(option + ": " + value + " (expected: seconds from 0 to 3600)");
        }
        return Duration.ofMillis(Math.round(value * 1000));
    }

    /** Waits before a request: nothing before the first, then the interval, or what a 429 asked for. */
    void beforeRequest() throws InterruptedException {
        if (first) {
            first = false;
            return;
        }
        sleeper.sleep(next);
        next = interval;
    }

    /** Records the answer of the last request; after a 429 the next wait honours its {@code Retry-After}. */
    void answered(ChatOutcome outcome) {
        if (outcome.status() != 429) {
            return;
        }
        Duration wanted = outcome.retryAfter().orElse(interval);
        Duration capped = wanted.compareTo(maxWait) > 0 ? maxWait : wanted;
        next = capped.compareTo(interval) > 0 ? capped : interval;
    }
}
