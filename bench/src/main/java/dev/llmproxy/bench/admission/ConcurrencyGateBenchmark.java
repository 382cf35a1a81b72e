package dev.llmproxy.bench.admission;

import dev.llmproxy.admission.ConcurrencyGate;
import dev.llmproxy.admission.ConcurrencyGate.Ticket;
import dev.llmproxy.admission.QueueBudget;
import org.jctools.queues.MpscUnboundedArrayQueue;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * {@link ConcurrencyGate}: the fast path (acquire and release with slots to spare) from 1 and 4 threads, and the
 * contended hand-off, where 2 or 4 threads take turns at a single slot.
 *
 * <p>In the hand-off benchmarks each JMH thread plays an event loop: one operation is acquire, then (if it had to
 * queue) wait for {@code onGranted}, which the drain posts to this thread's own task queue, then release. Each thread
 * has at most one waiter, so nothing is ever rejected, and a release by one thread is what grants the slot to the
 * next: the score counts slot turns per second, and the {@link Outcomes} counters split it into turns taken on the
 * fast path and turns handed over through the queue.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class ConcurrencyGateBenchmark {

    private static final Runnable NOTHING = () -> { };

    private ConcurrencyGate roomy;
    private ConcurrencyGate contended;

    @Setup(Level.Trial)
    public void setUp() {
        roomy = new ConcurrencyGate("roomy", 1 << 20, new QueueBudget(1024));
        contended = new ConcurrencyGate("contended", 1, new QueueBudget(1024));
    }

    @Benchmark
    @Threads(1)
    public Ticket fastPath1Thread() {
        return acquireAndRelease();
    }

    @Benchmark
    @Threads(4)
    public Ticket fastPath4Threads() {
        return acquireAndRelease();
    }

    @Benchmark
    @Threads(2)
    public Ticket handOff2Threads(Loop loop, Outcomes outcomes) {
        return handOff(loop, outcomes);
    }

    @Benchmark
    @Threads(4)
    public Ticket handOff4Threads(Loop loop, Outcomes outcomes) {
        return handOff(loop, outcomes);
    }

    private Ticket acquireAndRelease() {
        Ticket ticket = roomy.acquire(Runnable::run, NOTHING);
        ticket.release();
        return ticket;
    }

    private Ticket handOff(Loop loop, Outcomes outcomes) {
        loop.granted = false;
        Ticket ticket = contended.acquire(loop, loop);
        if (ticket.wasQueued()) {
            outcomes.handedOver++;
            loop.awaitGrant();
        } else {
            outcomes.immediate++;
        }
        ticket.release();
        return ticket;
    }

    /**
     * A JMH thread's stand-in for an event loop: the drain, on whichever thread releases, posts this thread's
     * {@code onGranted} to its task queue, and the thread runs it while it waits.
     */
    @State(Scope.Thread)
    public static class Loop implements Executor, Runnable {
        private final MpscUnboundedArrayQueue<Runnable> tasks = new MpscUnboundedArrayQueue<>(64);
        boolean granted;

        @Override
        public void execute(Runnable task) {
            tasks.offer(task);
        }

        /** onGranted. */
        @Override
        public void run() {
            granted = true;
        }

        void awaitGrant() {
            int spins = 0;
            while (!granted) {
                Runnable task = tasks.relaxedPoll();
                if (task != null) {
                    task.run();
                } else if (++spins % 64 == 0) {
                    Thread.yield(); // more threads than cores: let the thread that holds the slot run
                } else {
                    Thread.onSpinWait();
                }
            }
        }
    }

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Outcomes {
        public long immediate;
        public long handedOver;

        @Setup(Level.Iteration)
        public void reset() {
            immediate = 0;
            handedOver = 0;
        }
    }
}
