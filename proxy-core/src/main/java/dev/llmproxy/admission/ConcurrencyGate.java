package dev.llmproxy.admission;

import org.jctools.queues.MessagePassingQueue;
import org.jctools.queues.MpscChunkedArrayQueue;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;

/**
 * Upstream concurrency slots for one scope (every upstream call, or one model), with a FIFO of waiters: a call that
 * finds no free slot waits, bounded by the shared {@link QueueBudget}, until a slot is handed to it, its client goes
 * away ({@link Ticket#cancel()}) or its deadline passes ({@link Ticket#expire()}).
 *
 * <p>Threading: every method may be called from any thread; none blocks or takes a lock. Slots are one counter
 * taken by CAS. Waiters go into a JCTools MPSC queue, and the single consumer of that queue is whichever thread is
 * running the drain: every release, limit raise, enqueue and cancel asks for a drain, a work-in-progress counter
 * lets exactly one of them run it, and the others only record that there is more to do, which the running drain
 * picks up before it stops. The drain hands each free slot to the oldest waiter still waiting; a waiter's state
 * moves out of {@code QUEUED} by one CAS, so a slot goes either to the waiter or back to the pool, never to a
 * cancelled waiter and never twice. {@code onGranted} runs on the waiter's own executor (its event loop), never on
 * the releasing thread.
 *
 * <p>Queue choice: {@link MpscChunkedArrayQueue}, because it is bounded. Cancelled and expired waiters cannot be
 * taken out of the middle of an MPSC queue; they stay as tombstones until they reach the head, and while a slot is
 * held for a long time a client that queues and disconnects in a loop could pile them up without end in an
 * unbounded queue (such as {@code MpscUnboundedXaddArrayQueue}, whose wait-free offer would otherwise be the faster
 * pick). The budget bounds live waiters; the queue's capacity of twice that bounds live waiters plus tombstones, and
 * it grows in small chunks, so an idle gate holds a few dozen references.
 */
public final class ConcurrencyGate {

    private static final int QUEUE_CHUNK = 16;
    private static final int MIN_QUEUE_CAPACITY = 2 * QUEUE_CHUNK;
    private static final int MAX_QUEUE_CAPACITY = 1 << 30;

    private final String name;
    private final QueueBudget budget;
    private final NanoClock clock;
    private volatile int limit;
    private final AtomicInteger active = new AtomicInteger();
    /** Waiters in state QUEUED; tombstones still in the queue are not counted. */
    private final AtomicInteger queued = new AtomicInteger();
    /** Drain requests not yet served; the thread that moves it from 0 runs the drain. */
    private final AtomicInteger drainRequests = new AtomicInteger();
    private final MessagePassingQueue<Ticket> waiters;
    private final Ticket rejected;

    public ConcurrencyGate(String name, int limit, QueueBudget budget) {
        this(name, limit, budget, NanoClock.system());
    }

    /** @param clock times how long waiters wait ({@link Ticket#waitedNanos()}) */
    public ConcurrencyGate(String name, int limit, QueueBudget budget, NanoClock clock) {
        this.name = Objects.requireNonNull(name, "name");
        this.limit = checkLimit(limit);
        this.budget = Objects.requireNonNull(budget, "budget");
        this.clock = Objects.requireNonNull(clock, "clock");
        int capacity = (int) Math.min(MAX_QUEUE_CAPACITY, Math.max(MIN_QUEUE_CAPACITY, 2L * budget.max()));
        this.waiters = new MpscChunkedArrayQueue<>(QUEUE_CHUNK, capacity);
        this.rejected = new Ticket(this, Ticket.State.REJECTED, false, null, null, 0);
    }

    /**
     * Asks for a slot.
     * <ul>
     *   <li>No live waiter and a free slot: the ticket is {@code GRANTED} at once and {@code onGranted} is not run.
     *   <li>Otherwise, with a unit of the queue budget: the ticket is {@code QUEUED} ({@link Ticket#wasQueued()}), and
     *       when a slot is handed to it {@code onGranted} runs on {@code onGrantExecutor}, possibly before this
     *       method returns. The caller schedules the deadline and calls {@link Ticket#expire()} when it passes.
     *   <li>Otherwise: {@code REJECTED}, nothing held.
     * </ul>
     */
    public Ticket acquire(Executor onGrantExecutor, Runnable onGranted) {
        Objects.requireNonNull(onGrantExecutor, "onGrantExecutor");
        Objects.requireNonNull(onGranted, "onGranted");
        if (queued.get() == 0 && tryTakeSlot()) {
            return new Ticket(this, Ticket.State.GRANTED, false, null, null, 0);
        }
        if (!budget.tryTake()) {
            return rejected;
        }
        Ticket ticket = new Ticket(this, Ticket.State.QUEUED, true, onGrantExecutor, onGranted, clock.nanoTime());
        queued.incrementAndGet();
        // A full queue is full of tombstones (live waiters are bounded by the budget): clear the head and retry once.
        if (!waiters.offer(ticket) && !(drainAndTrue() && waiters.offer(ticket))) {
            queued.decrementAndGet();
            budget.giveBack();
            return rejected;
        }
        // A slot freed between the fast-path check and the offer has nobody to hand it over: drain now.
        drain();
        return ticket;
    }

    /** Slots held now; may exceed {@link #limit()} for a while after the limit was lowered. */
    public int active() {
        return active.get();
    }

    /** This gate's live waiters. */
    public int queued() {
        return queued.get();
    }

    public int limit() {
        return limit;
    }

    /**
     * Changes the number of slots. Lowering never takes a slot back: the gate simply grants none until enough are
     * released. Raising hands the new slots to waiters at once (the drain runs on every change, so two changes
     * racing from different threads cannot leave free slots unhanded).
     */
    public void limit(int newLimit) {
        limit = checkLimit(newLimit);
        drain();
    }

    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return "ConcurrencyGate[" + name + ", active=" + active() + "/" + limit + ", queued=" + queued() + "]";
    }

    private boolean tryTakeSlot() {
        for (;;) {
            int taken = active.get();
            if (taken >= limit) {
                return false;
            }
            if (active.compareAndSet(taken, taken + 1)) {
                return true;
            }
        }
    }

    private void releaseSlot() {
        active.decrementAndGet();
        drain();
    }

    private void waiterLeft() {
        queued.decrementAndGet();
        budget.giveBack();
        // Not needed for correctness: clears tombstones from the head while nothing else would.
        drain();
    }

    private boolean drainAndTrue() {
        drain();
        return true;
    }

    /**
     * Hands free slots to the oldest live waiters and discards tombstones at the head. Relaxed peek and poll are
     * enough: a waiter whose offer is not yet visible belongs to a producer that will request a drain right after
     * its offer, and that request keeps this loop (or a later drain) going.
     */
    private void drain() {
        if (drainRequests.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            for (;;) {
                Ticket head = waiters.relaxedPeek();
                if (head == null) {
                    break;
                }
                if (head.state != Ticket.State.QUEUED) {
                    waiters.relaxedPoll();
                    continue;
                }
                if (!tryTakeSlot()) {
                    break;
                }
                waiters.relaxedPoll();
                if (head.grant()) {
                    queued.decrementAndGet();
                    budget.giveBack();
                    dispatch(head);
                } else {
                    // Cancelled between the peek and the grant: the slot goes to the next waiter instead.
                    active.decrementAndGet();
                }
            }
            missed = drainRequests.addAndGet(-missed);
        } while (missed != 0);
    }

    private static void dispatch(Ticket ticket) {
        try {
            ticket.executor.execute(ticket.onGranted);
        } catch (RuntimeException e) {
            // The executor refused (its event loop is shutting down): nobody will ever run onGranted, so nobody
            // would release this slot. Release it here; the drain request it makes is served by the running loop.
            ticket.release();
        }
    }

    private static int checkLimit(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: >= 1)");
        }
        return limit;
    }

    /**
     * One caller's claim on a slot. A granted ticket holds a slot until {@link #release()}. A queued ticket ends in
     * exactly one of: granted (and {@code onGranted} runs), cancelled, expired. The usual ending for a client that
     * went away is {@code if (!ticket.cancel()) ticket.release();}, which is right in every state.
     *
     * <p>Thread-safe; every method may be called from any thread.
     */
    public static final class Ticket {

        public enum State { GRANTED, QUEUED, REJECTED, CANCELLED, EXPIRED }

        private static final AtomicReferenceFieldUpdater<Ticket, State> STATE =
                AtomicReferenceFieldUpdater.newUpdater(Ticket.class, State.class, "state");
        private static final AtomicIntegerFieldUpdater<Ticket> RELEASED =
                AtomicIntegerFieldUpdater.newUpdater(Ticket.class, "released");
        private static final long NOT_YET = Long.MIN_VALUE;

        private final ConcurrencyGate gate;
        private final boolean wasQueued;
        private final Executor executor;
        private final Runnable onGranted;
        private final long queuedAtNanos;
        private volatile State state;
        private volatile int released;
        private volatile long leftQueueAtNanos = NOT_YET;

        private Ticket(ConcurrencyGate gate, State state, boolean wasQueued, Executor executor, Runnable onGranted,
                       long queuedAtNanos) {
            this.gate = gate;
            this.state = state;
            this.wasQueued = wasQueued;
            this.executor = executor;
            this.onGranted = onGranted;
            this.queuedAtNanos = queuedAtNanos;
        }

        public State state() {
            return state;
        }

        /**
         * True if {@code acquire} queued this ticket, so {@code onGranted} runs when a slot is handed to it (even if
         * that happened before {@code acquire} returned). False on the fast path and for rejections: then the caller
         * acts on {@link #state()} right away.
         */
        public boolean wasQueued() {
            return wasQueued;
        }

        /**
         * The client went away: leaves the queue at once (its budget unit returns, {@code queued()} drops) and will
         * never be granted.
         *
         * @return false if the ticket was not waiting; if it was granted meanwhile, the caller holds a slot and must
         *         {@link #release()} it
         */
        public boolean cancel() {
            return leaveQueue(State.CANCELLED);
        }

        /** As {@link #cancel()}, for the queue deadline: the caller then answers 503 {@code queue_timeout}. */
        public boolean expire() {
            return leaveQueue(State.EXPIRED);
        }

        /**
         * Gives the slot back, once: later calls do nothing. Does nothing for a ticket that never held a slot
         * (rejected, cancelled, expired).
         *
         * @throws IllegalStateException for a ticket still waiting: cancel it instead
         */
        public void release() {
            State s = state;
            if (s == State.GRANTED) {
                if (RELEASED.compareAndSet(this, 0, 1)) {
                    gate.releaseSlot();
                }
            } else if (s == State.QUEUED) {
                throw new IllegalStateException("ticket of gate " + gate.name + " is still queued"
                        + " (expected: cancel() a waiting ticket, release() a granted one)");
            }
        }

        /** From {@code acquire} until the grant (or the cancel or expiry, or now while waiting); 0 on the fast path. */
        public long waitedNanos() {
            if (!wasQueued) {
                return 0;
            }
            long left = leftQueueAtNanos;
            return (left == NOT_YET ? gate.clock.nanoTime() : left) - queuedAtNanos;
        }

        @Override
        public String toString() {
            return "Ticket[" + gate.name + ", " + state + (released != 0 ? ", released" : "") + "]";
        }

        /** Called by the drain only. */
        private boolean grant() {
            return leave(State.GRANTED);
        }

        private boolean leaveQueue(State to) {
            if (!leave(to)) {
                return false;
            }
            gate.waiterLeft();
            return true;
        }

        private boolean leave(State to) {
            if (state != State.QUEUED || !STATE.compareAndSet(this, State.QUEUED, to)) {
                return false;
            }
            leftQueueAtNanos = gate.clock.nanoTime();
            return true;
        }
    }
}
