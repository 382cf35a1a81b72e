package dev.llmproxy.bench.load;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters the progress line reads while a run goes on.
 *
 * <p>Threading: written by the client event loops, read by the progress thread.
 */
final class LoadProgress {
    final LongAdder issued = new LongAdder();
    final LongAdder completed = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder inFlight = new LongAdder();
    final LongAdder waiting = new LongAdder();
}
