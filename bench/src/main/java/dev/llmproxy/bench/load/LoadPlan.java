package dev.llmproxy.bench.load;

import java.time.Duration;

/**
 * How requests are issued.
 *
 * <p>{@link Mode#OPEN}: request {@code i} is intended at {@code t0 + i / rate}, whatever the answers do; it waits for
 * a free connection of the pool (at most {@code connections}), and its latency is measured from the intended time,
 * so the wait counts (no coordinated omission).
 *
 * <p>{@link Mode#CLOSED}: {@code connections} requests are kept in flight; the initial ones are spread evenly over
 * {@code rampUp}, and each completion issues the next one at once on its connection until {@code duration} is over.
 * Latency is from the actual send. With one connection this is the "at concurrency 1" measurement; with N it holds
 * N streams open.
 *
 * @param mode          open (constant arrival rate) or closed (fixed concurrency)
 * @param rate          arrivals per second (open)
 * @param duration      how long requests are issued
 * @param connections   pool bound (open) or concurrency (closed)
 * @param preconnect    connections opened before the clock starts
 * @param rampUp        closed mode: the initial requests are spread over this
 * @param stallTimeout  a request in flight with no byte for this long is given up (stalled)
 * @param drainTimeout  after {@code duration}, how long requests still in flight may take to finish
 * @param threads       client event loops (each runs an independent share of the schedule)
 */
public record LoadPlan(Mode mode, double rate, Duration duration, int connections, int preconnect,
                       Duration rampUp, Duration stallTimeout, Duration drainTimeout, int threads) {

    public enum Mode { OPEN, CLOSED }

    public LoadPlan {
        if (mode == Mode.OPEN && !(rate > 0)) {
            throw new IllegalArgumentException("rate: " + rate + " (expected: > 0 in open mode)");
        }
        if (connections < 1) {
            throw new IllegalArgumentException("connections: " + connections + " (expected: >= 1)");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads: " + threads + " (expected: >= 1)");
        }
    }

    public static LoadPlan open(double rate, Duration duration, int connections) {
        return new LoadPlan(Mode.OPEN, rate, duration, connections, Math.min(connections, 16), Duration.ZERO,
                Duration.ofSeconds(10), Duration.ofSeconds(10), 1);
    }

    public static LoadPlan closed(int concurrency, Duration duration, Duration rampUp) {
        return new LoadPlan(Mode.CLOSED, 0, duration, concurrency, 0, rampUp, Duration.ofSeconds(10),
                Duration.ofSeconds(10), 1);
    }

    public LoadPlan withThreads(int n) {
        return new LoadPlan(mode, rate, duration, connections, preconnect, rampUp, stallTimeout, drainTimeout, n);
    }

    public LoadPlan withPreconnect(int n) {
        return new LoadPlan(mode, rate, duration, connections, n, rampUp, stallTimeout, drainTimeout, threads);
    }

    public LoadPlan withTimeouts(Duration stall, Duration drain) {
        return new LoadPlan(mode, rate, duration, connections, preconnect, rampUp, stall, drain, threads);
    }
}
