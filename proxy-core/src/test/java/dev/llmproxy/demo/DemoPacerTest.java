package dev.llmproxy.demo;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The shared timer of one loop's paced streams, on a frozen clock, with stand-in streams that log when they fire. */
class DemoPacerTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    /** Lends its event loop and frozen clock to the pacer. */
    private final EmbeddedChannel loop = frozen();
    private final DemoPacer pacer = new DemoPacer(loop.eventLoop(), MS);
    private final long t0 = pacer.nowNanos();
    /** What happened, in order: "fire NAME at MS", "flush NAME". */
    private final List<String> log = new ArrayList<>();
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    private static EmbeddedChannel frozen() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        return ch;
    }

    @AfterEach
    void close() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
        loop.finishAndReleaseAll();
    }

    @Test
    void firesStreamsInDueOrderAndThoseDueTogetherInTheOrderQueued() {
        pacer.add(stream("a", 30 * MS));
        pacer.add(stream("b", 10 * MS));
        pacer.add(stream("c", 10 * MS));

        advanceTo(10 * MS);
        assertThat(fired()).containsExactly("fire b at 10.0", "fire c at 10.0");
        advanceTo(29 * MS);
        assertThat(fired()).isEmpty();
        advanceTo(30 * MS);
        assertThat(fired()).containsExactly("fire a at 30.0");
    }

    @Test
    void neverFiresEarlyAndWakesOncePerTickForStreamsDueWithinIt() {
        pacer.add(stream("a", 10 * MS, 20 * MS));
        pacer.add(stream("b", 10 * MS + MS * 4 / 10));
        pacer.add(stream("c", 20 * MS + MS * 2 / 10));
        pacer.add(stream("d", 20 * MS + MS * 5 / 10));

        advanceTo(10 * MS);
        assertThat(fired()).as("b is not due yet").containsExactly("fire a at 10.0");
        advanceTo(10 * MS + MS * 9 / 10);
        assertThat(fired()).as("b is due, but the tick before was less than a tick ago").isEmpty();
        advanceTo(11 * MS);
        assertThat(fired()).containsExactly("fire b at 11.0");

        advanceTo(20 * MS);
        assertThat(fired()).containsExactly("fire a at 20.0");
        advanceTo(21 * MS);
        assertThat(fired()).as("c and d, due within one tick, in one wake-up")
                .containsExactly("fire c at 21.0", "fire d at 21.0");
        assertThat(pacer.ticks()).isEqualTo(4);
        assertThat(loop.runScheduledPendingTasks()).as("nothing queued, nothing scheduled").isEqualTo(-1);
    }

    @Test
    void flushesEachChannelWrittenToOnceAfterEveryStreamOfTheTickFired() {
        Stream a = stream("a", 5 * MS);
        Stream b = stream("b", 5 * MS);
        Stream silent = stream("silent", 5 * MS);
        silent.writes = false;
        pacer.add(a);
        pacer.add(b);
        pacer.add(silent);

        advanceTo(5 * MS);

        assertThat(log).containsExactly("fire a at 5.0", "fire b at 5.0", "fire silent at 5.0", "flush a",
                "flush b");
    }

    @Test
    void aRemovedStreamNeverFiresAndTheLastOneToLeaveStopsTheTimer() {
        Stream a = stream("a", 10 * MS, 20 * MS);
        Stream b = stream("b", 10 * MS, 20 * MS);
        pacer.add(a);
        pacer.add(b);
        advanceTo(10 * MS);
        assertThat(fired()).containsExactly("fire a at 10.0", "fire b at 10.0");

        pacer.remove(a);
        advanceTo(20 * MS);
        assertThat(fired()).containsExactly("fire b at 20.0");

        Stream c = stream("c", 30 * MS);
        pacer.add(c);
        pacer.remove(c);
        pacer.remove(c); // idempotent
        assertThat(pacer.queued()).isZero();
        assertThat(loop.runScheduledPendingTasks()).as("the timer was cancelled").isEqualTo(-1);
        advanceTo(100 * MS);
        assertThat(fired()).isEmpty();
    }

    @Test
    void aStreamThatAddsItselfBackAlreadyDueWaitsForTheNextTick() {
        Stream eager = stream("eager", 1 * MS, 1 * MS, 1 * MS);
        pacer.add(eager);

        advanceTo(1 * MS);
        assertThat(fired()).containsExactly("fire eager at 1.0");
        advanceTo(2 * MS);
        assertThat(fired()).containsExactly("fire eager at 2.0");
    }

    @Test
    void anEarlierStreamMovesTheTimerForward() {
        pacer.add(stream("late", 50 * MS));
        pacer.add(stream("early", 5 * MS));

        advanceTo(5 * MS);
        assertThat(fired()).containsExactly("fire early at 5.0");
        advanceTo(50 * MS);
        assertThat(fired()).containsExactly("fire late at 50.0");
    }

    /** Moves the frozen clock to {@code t0 + at} and runs what is due, one tick at a time. */
    private void advanceTo(long at) {
        long now = pacer.nowNanos() - t0;
        if (at > now) {
            loop.advanceTimeBy(at - now, TimeUnit.NANOSECONDS);
        }
        while (loop.runScheduledPendingTasks() == 0) {
            // a task due now: run it too
        }
    }

    private List<String> fired() {
        List<String> fired = new ArrayList<>(log.stream().filter(s -> s.startsWith("fire")).toList());
        log.clear();
        return fired;
    }

    /** A stand-in stream due at each of {@code dueTimes} (after t0) in turn; writes to a channel of its own. */
    private Stream stream(String name, long... dueTimes) {
        EmbeddedChannel ch = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
                log.add("flush " + name);
                ctx.flush();
            }
        }, new ChannelInboundHandlerAdapter());
        channels.add(ch);
        // The last handler's context: a flush from it passes the counting handler on its way out.
        return new Stream(name, ch.pipeline().lastContext(), dueTimes);
    }

    private final class Stream extends DemoPacer.Paced {
        private final String name;
        private final ChannelHandlerContext ctx;
        private final long[] dueTimes;
        private int next;
        boolean writes = true;

        Stream(String name, ChannelHandlerContext ctx, long[] dueTimes) {
            this.name = name;
            this.ctx = ctx;
            this.dueTimes = dueTimes;
            this.dueNanos = t0 + dueTimes[0];
        }

        @Override
        ChannelHandlerContext fire(long nowNanos) {
            log.add(String.format(java.util.Locale.ROOT, "fire %s at %.1f", name, (nowNanos - t0) / (double) MS));
            assertThat(nowNanos - dueNanos).as("never early").isNotNegative();
            if (++next < dueTimes.length) {
                dueNanos = t0 + dueTimes[next];
                pacer.add(this);
            }
            return writes ? ctx : null;
        }
    }
}
