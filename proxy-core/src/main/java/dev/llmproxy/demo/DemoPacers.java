package dev.llmproxy.demo;

import io.netty.util.concurrent.EventExecutor;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One {@link DemoPacer} per event loop of a demo upstream, made on first use: every stream of a loop shares its
 * timer.
 *
 * <p>Threading: safe from any thread; each pacer it hands out is used on its own loop only.
 */
final class DemoPacers {
    private final Map<EventExecutor, DemoPacer> byLoop = new ConcurrentHashMap<>();
    private final long tickNanos;

    DemoPacers() {
        this(DemoPacer.DEFAULT_TICK_NANOS);
    }

    DemoPacers(long tickNanos) {
        this.tickNanos = tickNanos;
    }

    /** The pacer of {@code loop}. */
    DemoPacer on(EventExecutor loop) {
        return byLoop.computeIfAbsent(loop, l -> new DemoPacer(l, tickNanos));
    }
}
