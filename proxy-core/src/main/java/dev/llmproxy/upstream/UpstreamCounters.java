package dev.llmproxy.upstream;

import java.util.concurrent.atomic.LongAdder;

/**
 * What one upstream has served since start-up: requests that ended on it, those that ended in an error (status
 * 5xx or 429, or no response), and requests that moved on from it to the next upstream of their route. Any thread.
 */
public final class UpstreamCounters {
    private final LongAdder requests = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder failovers = new LongAdder();

    /** A request ended on this upstream with {@code status} (0 when no response came). */
    public void ended(int status) {
        requests.increment();
        if (status == 0 || status == 429 || status >= 500) {
            errors.increment();
        }
    }

    /** A request left this upstream for the next one of its route. */
    public void failedOver() {
        requests.increment();
        errors.increment();
        failovers.increment();
    }

    public long requests() {
        return requests.sum();
    }

    public long errors() {
        return errors.sum();
    }

    public long failovers() {
        return failovers.sum();
    }
}
