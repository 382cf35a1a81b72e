package dev.llmproxy.demo;

import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.DefaultPriorityQueue;
import io.netty.util.internal.PriorityQueueNode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The clock of every paced stream on one event loop: one timer for all of them instead of a scheduled task per
 * token. Streams wait in a heap by the time their next event is due; one tick writes the next events of every stream
 * that is due, then flushes each channel written to once, then sleeps until the earliest due time left — but at
 * least {@link #tickNanos} after the tick before, so a thousand streams whose events fall in the same millisecond
 * cost one wake-up, not a thousand.
 *
 * <p>Timing: an event is never written before it is due and, on an idle loop, at most one tick after (plus the
 * loop's own latency). Streams due at the same time are written in the order they were queued. With no stream
 * queued nothing is scheduled.
 *
 * <p>Threading: confined to its event loop; {@link #add} and {@link #remove} are called there only.
 */
final class DemoPacer {
    /** The shortest interval between two ticks: events of streams due within it are written together. */
    static final long DEFAULT_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /**
     * One paced writer: the time its next event is due and its place in the heap. {@link #fire} writes what is due,
     * without flushing.
     */
    abstract static class Paced implements PriorityQueueNode {
        /** When the next event is due, on the loop's ticker. */
        long dueNanos;
        private long order;
        private int index = INDEX_NOT_IN_QUEUE;

        /**
         * Writes every event due by {@code nowNanos} (never flushes). To be called again it re-adds itself with a
         * later {@link #dueNanos}; when it waits for something else (the channel to drain, the end) it does not.
         *
         * @return the context written to, to be flushed once the tick is done; null when nothing was written
         */
        abstract ChannelHandlerContext fire(long nowNanos);

        @Override
        public final int priorityQueueIndex(DefaultPriorityQueue<?> queue) {
            return index;
        }

        @Override
        public final void priorityQueueIndex(DefaultPriorityQueue<?> queue, int i) {
            index = i;
        }

        final boolean queued() {
            return index != INDEX_NOT_IN_QUEUE;
        }
    }

    private static final Comparator<Paced> BY_DUE_THEN_QUEUED = (a, b) -> {
        int c = Long.compare(a.dueNanos - b.dueNanos, 0); // ticker values may wrap: compare differences
        return c != 0 ? c : Long.compare(a.order, b.order);
    };

    private final EventExecutor executor;
    private final long tickNanos;
    private final DefaultPriorityQueue<Paced> queue = new DefaultPriorityQueue<>(BY_DUE_THEN_QUEUED, 64);
    private final List<ChannelHandlerContext> toFlush = new ArrayList<>();
    private long nextOrder;
    private ScheduledFuture<?> timer;
    private long timerAt;
    private boolean ticked;
    private long lastTick;
    private boolean inTick;
    private long ticks;

    DemoPacer(EventExecutor executor) {
        this(executor, DEFAULT_TICK_NANOS);
    }

    DemoPacer(EventExecutor executor, long tickNanos) {
        if (tickNanos < 0) {
            throw new IllegalArgumentException("tickNanos: " + tickNanos + " (expected: >= 0)");
        }
        this.executor = executor;
        this.tickNanos = tickNanos;
    }

    /** The loop's clock, the one {@link Paced#dueNanos} is on. */
    long nowNanos() {
        return executor.ticker().nanoTime();
    }

    /** Queues {@code paced} for its {@link Paced#dueNanos}; it must not be queued already. */
    void add(Paced paced) {
        assert executor.inEventLoop();
        if (paced.queued()) {
            throw new IllegalStateException("already queued");
        }
        paced.order = nextOrder++;
        queue.offer(paced);
        if (!inTick) {
            arm();
        }
    }

    /** Takes {@code paced} out of the queue if it is there; the timer stops when nothing is left. */
    void remove(Paced paced) {
        assert executor.inEventLoop();
        if (paced.queued()) {
            queue.removeTyped(paced);
        }
        if (!inTick && queue.isEmpty()) {
            disarm();
        }
    }

    /** Streams waiting for their next event; for tests. */
    int queued() {
        return queue.size();
    }

    /** Ticks run so far; for tests. */
    long ticks() {
        return ticks;
    }

    private void onTick() {
        timer = null;
        long now = nowNanos();
        ticked = true;
        lastTick = now;
        ticks++;
        // Streams queued during this tick wait for the next one, so a stream that re-adds itself cannot loop here.
        long firstOfNextTick = nextOrder;
        inTick = true;
        try {
            Paced head;
            while ((head = queue.peek()) != null && head.dueNanos - now <= 0 && head.order < firstOfNextTick) {
                queue.poll();
                ChannelHandlerContext written = head.fire(now);
                if (written != null) {
                    toFlush.add(written);
                }
            }
        } finally {
            inTick = false;
            // One flush per channel: a stream is fired at most once per tick and owns its channel.
            for (int i = 0; i < toFlush.size(); i++) {
                toFlush.get(i).flush();
            }
            toFlush.clear();
            arm();
        }
    }

    /** Sets the timer for the earliest due time, no sooner than a tick after the last one; none when idle. */
    private void arm() {
        Paced head = queue.peek();
        if (head == null) {
            disarm();
            return;
        }
        long at = head.dueNanos;
        if (ticked && at - (lastTick + tickNanos) < 0) {
            at = lastTick + tickNanos;
        }
        if (timer != null) {
            if (timerAt - at <= 0) {
                return; // already set for then or sooner
            }
            timer.cancel(false);
        }
        timerAt = at;
        timer = executor.schedule(this::onTick, Math.max(0, at - nowNanos()), TimeUnit.NANOSECONDS);
    }

    private void disarm() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
