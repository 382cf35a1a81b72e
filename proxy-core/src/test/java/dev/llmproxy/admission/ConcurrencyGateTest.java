package dev.llmproxy.admission;

import dev.llmproxy.admission.ConcurrencyGate.Ticket;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.llmproxy.admission.ConcurrencyGate.Ticket.State.CANCELLED;
import static dev.llmproxy.admission.ConcurrencyGate.Ticket.State.EXPIRED;
import static dev.llmproxy.admission.ConcurrencyGate.Ticket.State.GRANTED;
import static dev.llmproxy.admission.ConcurrencyGate.Ticket.State.QUEUED;
import static dev.llmproxy.admission.ConcurrencyGate.Ticket.State.REJECTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link ConcurrencyGate}: the fast path, FIFO hand-off to live waiters, the shared queue bound, cancellation and
 * expiry that free a place at once, dynamic limits, and no slot lost or granted twice under a hammer of mixed calls.
 */
class ConcurrencyGateTest {

    private static final Executor DIRECT = Runnable::run;

    private final FakeNanoClock clock = new FakeNanoClock();

    @Test
    void grantsAtOnceWithoutTheCallbackWhileSlotsAreFree() {
        ConcurrencyGate gate = new ConcurrencyGate("all", 2, new QueueBudget(10), clock);
        AtomicInteger callbacks = new AtomicInteger();

        Ticket first = gate.acquire(DIRECT, callbacks::incrementAndGet);
        Ticket second = gate.acquire(DIRECT, callbacks::incrementAndGet);

        assertThat(first.state()).isEqualTo(GRANTED);
        assertThat(second.state()).isEqualTo(GRANTED);
        assertThat(first.wasQueued()).isFalse();
        assertThat(first.waitedNanos()).isZero();
        assertThat(callbacks).hasValue(0);
        assertThat(gate.active()).isEqualTo(2);
        assertThat(gate.queued()).isZero();
    }

    @Test
    void handsFreedSlotsToWaitersInArrivalOrderOnTheirOwnExecutor() {
        QueueBudget budget = new QueueBudget(10);
        ConcurrencyGate gate = new ConcurrencyGate("all", 1, budget, clock);
        ManualExecutor loop = new ManualExecutor();
        List<String> granted = new ArrayList<>();
        Ticket holder = gate.acquire(loop, () -> granted.add("holder"));
        Ticket a = gate.acquire(loop, () -> granted.add("a"));
        Ticket b = gate.acquire(loop, () -> granted.add("b"));
        Ticket c = gate.acquire(loop, () -> granted.add("c"));
        assertThat(List.of(a.state(), b.state(), c.state())).containsOnly(QUEUED);
        assertThat(gate.queued()).isEqualTo(3);
        assertThat(budget.used()).isEqualTo(3);

        clock.advance(Duration.ofMillis(40));
        holder.release();
        assertThat(a.state()).isEqualTo(GRANTED);
        assertThat(a.waitedNanos()).isEqualTo(Duration.ofMillis(40).toNanos());
        assertThat(granted).as("onGranted waits for the waiter's executor").isEmpty();
        loop.runAll();
        assertThat(granted).containsExactly("a");
        assertThat(gate.queued()).isEqualTo(2);
        assertThat(budget.used()).isEqualTo(2);

        a.release();
        loop.runAll();
        b.release();
        loop.runAll();
        assertThat(granted).containsExactly("a", "b", "c");
        c.release();
        assertThat(gate.active()).isZero();
        assertThat(budget.used()).isZero();
    }

    @Test
    void anArrivalDoesNotOvertakeWaitersEvenWhenASlotIsFree() {
        ConcurrencyGate gate = new ConcurrencyGate("all", 1, new QueueBudget(10), clock);
        List<String> granted = new ArrayList<>();
        ManualExecutor loop = new ManualExecutor();
        Ticket holder = gate.acquire(loop, () -> granted.add("holder"));
        gate.acquire(loop, () -> granted.add("waiter"));

        holder.release();
        Ticket late = gate.acquire(loop, () -> granted.add("late"));
        loop.runAll();

        assertThat(granted).containsExactly("waiter");
        assertThat(late.state()).isEqualTo(QUEUED);
    }

    @Test
    void rejectsWhenTheSharedBudgetIsUsedUpAndHoldsNothingForTheRejected() {
        QueueBudget budget = new QueueBudget(2);
        ConcurrencyGate chat = new ConcurrencyGate("chat", 1, budget, clock);
        ConcurrencyGate embeddings = new ConcurrencyGate("embeddings", 1, budget, clock);
        chat.acquire(DIRECT, () -> { });
        embeddings.acquire(DIRECT, () -> { });
        chat.acquire(DIRECT, () -> { });
        embeddings.acquire(DIRECT, () -> { });

        Ticket rejected = chat.acquire(DIRECT, () -> { });

        assertThat(rejected.state()).isEqualTo(REJECTED);
        assertThat(rejected.wasQueued()).isFalse();
        assertThat(rejected.cancel()).isFalse();
        rejected.release(); // nothing to give back: must not free someone else's slot
        assertThat(chat.active()).isEqualTo(1);
        assertThat(chat.queued()).isEqualTo(1);
        assertThat(budget.used()).isEqualTo(2);
    }

    @Test
    void noBudgetMeansRejectWhenAllSlotsAreTaken() {
        ConcurrencyGate gate = new ConcurrencyGate("all", 1, new QueueBudget(0), clock);
        assertThat(gate.acquire(DIRECT, () -> { }).state()).isEqualTo(GRANTED);
        assertThat(gate.acquire(DIRECT, () -> { }).state()).isEqualTo(REJECTED);
    }

    @Test
    void cancelFreesTheQueuePlaceAtOnceAndTheWaiterIsNeverGranted() {
        QueueBudget budget = new QueueBudget(1);
        ConcurrencyGate gate = new ConcurrencyGate("all", 1, budget, clock);
        AtomicInteger callbacks = new AtomicInteger();
        Ticket holder = gate.acquire(DIRECT, () -> { });
        Ticket leaving = gate.acquire(DIRECT, callbacks::incrementAndGet);
        clock.advance(Duration.ofMillis(7));

        assertThat(leaving.cancel()).isTrue();

        assertThat(leaving.state()).isEqualTo(CANCELLED);
        assertThat(leaving.waitedNanos()).isEqualTo(Duration.ofMillis(7).toNanos());
        assertThat(gate.queued()).isZero();
        assertThat(budget.used()).isZero();
        Ticket next = gate.acquire(DIRECT, callbacks::incrementAndGet); // the freed place is usable right away
        assertThat(next.state()).isEqualTo(QUEUED);

        holder.release();
        assertThat(next.state()).isEqualTo(GRANTED);
        assertThat(callbacks).hasValue(1);
        assertThat(leaving.state()).isEqualTo(CANCELLED);
        assertThat(leaving.cancel()).isFalse();
        assertThat(leaving.expire()).isFalse();
    }

    @Test
    void expireEndsTheWaitLikeCancel() {
        QueueBudget budget = new QueueBudget(5);
        ConcurrencyGate gate = new ConcurrencyGate("all", 1, budget, clock);
        Ticket holder = gate.acquire(DIRECT, () -> { });
        AtomicInteger callbacks = new AtomicInteger();
        Ticket waiter = gate.acquire(DIRECT, callbacks::incrementAndGet);
        clock.advance(Duration.ofSeconds(45));

        assertThat(waiter.expire()).isTrue();

        assertThat(waiter.state()).isEqualTo(EXPIRED);
        assertThat(waiter.waitedNanos()).isEqualTo(Duration.ofSeconds(45).toNanos());
        assertThat(gate.queued()).isZero();
        assertThat(budget.used()).isZero();
        holder.release();
        assertThat(callbacks).hasValue(0);
        assertThat(gate.active()).isZero();
    }

    @Test
    void aWaiterGrantedBeforeItsClientLeftOwnsTheSlotUntilReleased() {
        ConcurrencyGate gate = new ConcurrencyGate("all", 1, new QueueBudget(5), clock);
        Ticket holder = gate.acquire(DIRECT, () -> { });
        Ticket waiter = gate.acquire(new ManualExecutor(), () -> { });
        holder.release();

        assertThat(waiter.cancel()).isFalse();
        assertThat(waiter.expire()).isFalse();
        assertThat(waiter.state()).isEqualTo(GRANTED);
        assertThat(gate.active()).isEqualTo(1);
        waiter.release();
        assertThat(gate.active()).isZero();
    }

    @Test
    void aSlotFreedWhileAnArrivalIsOnItsWayIntoTheQueueIsHandedToIt() {
        // The gate reads the clock after deciding to queue and before enqueuing; the test frees the slot right there,
        // as a release on another thread could. Nobody else will ever drain, so the arrival must.
        AtomicInteger reads = new AtomicInteger();
        Ticket[] holder = new Ticket[1];
        NanoClock racingClock = () -> {
            if (reads.incrementAndGet() == 1 && holder[0] != null) {
                holder[0].release();
            }
            return 0;
        };
        ConcurrencyGate gate = new ConcurrencyGate("all", 1, new QueueBudget(5), racingClock);
        holder[0] = gate.acquire(DIRECT, () -> { });
        reads.set(0);
        AtomicInteger callbacks = new AtomicInteger();

        Ticket arrival = gate.acquire(DIRECT, callbacks::incrementAndGet);

        assertThat(reads.get()).as("the clock was read on the way into the queue").isPositive();
        assertThat(arrival.wasQueued()).isTrue();
        assertThat(arrival.state()).isEqualTo(GRANTED);
        assertThat(callbacks).hasValue(1);
        assertThat(gate.queued()).isZero();
    }

    @Test
    void releaseIsIdempotent() {
        ConcurrencyGate gate = new ConcurrencyGate("all", 2, new QueueBudget(5), clock);
        Ticket first = gate.acquire(DIRECT, () -> { });
        gate.acquire(DIRECT, () -> { });

        first.release();
        first.release();
        first.release();

        assertThat(gate.active()).isEqualTo(1);
    }

    @Test
    void releasingAWaitingTicketIsRefused() {
        ConcurrencyGate gate = new ConcurrencyGate("chat", 1, new QueueBudget(5), clock);
        gate.acquire(DIRECT, () -> { });
        Ticket waiter = gate.acquire(DIRECT, () -> { });

        assertThatThrownBy(waiter::release).isInstanceOf(IllegalStateException.class).hasMessageContaining("chat");
        assertThat(gate.active()).isEqualTo(1);
        assertThat(gate.queued()).isEqualTo(1);
    }

    @Test
    void raisingTheLimitHandsNewSlotsToWaitersAtOnce() {
        ConcurrencyGate gate = new ConcurrencyGate("model", 1, new QueueBudget(5), clock);
        gate.acquire(DIRECT, () -> { });
        Ticket a = gate.acquire(DIRECT, () -> { });
        Ticket b = gate.acquire(DIRECT, () -> { });
        Ticket c = gate.acquire(DIRECT, () -> { });

        gate.limit(3);

        assertThat(List.of(a.state(), b.state(), c.state())).containsExactly(GRANTED, GRANTED, QUEUED);
        assertThat(gate.active()).isEqualTo(3);
        assertThat(gate.limit()).isEqualTo(3);
    }

    @Test
    void loweringTheLimitRevokesNothingAndGrantsNothingUntilBelowIt() {
        ConcurrencyGate gate = new ConcurrencyGate("model", 3, new QueueBudget(5), clock);
        Ticket a = gate.acquire(DIRECT, () -> { });
        Ticket b = gate.acquire(DIRECT, () -> { });
        Ticket c = gate.acquire(DIRECT, () -> { });

        gate.limit(1);
        assertThat(List.of(a.state(), b.state(), c.state())).containsOnly(GRANTED);
        assertThat(gate.active()).isEqualTo(3);
        Ticket waiter = gate.acquire(DIRECT, () -> { });

        a.release();
        assertThat(waiter.state()).isEqualTo(QUEUED);
        b.release();
        assertThat(waiter.state()).isEqualTo(QUEUED);
        c.release();
        assertThat(waiter.state()).isEqualTo(GRANTED);
        assertThat(gate.active()).isEqualTo(1);
        assertThatThrownBy(() -> gate.limit(0)).hasMessage("limit: 0 (expected: >= 1)");
    }

    @Test
    void tombstonesAtTheHeadAreSkipped() {
        ConcurrencyGate gate = new ConcurrencyGate("all", 1, new QueueBudget(100), clock);
        Ticket holder = gate.acquire(DIRECT, () -> { });
        List<Ticket> gone = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            gone.add(gate.acquire(DIRECT, () -> { }));
        }
        Ticket live = gate.acquire(DIRECT, () -> { });
        gone.forEach(Ticket::cancel);

        holder.release();

        assertThat(live.state()).isEqualTo(GRANTED);
        assertThat(gone).extracting(Ticket::state).containsOnly(CANCELLED);
    }

    @Test
    void tombstonesBehindALiveWaiterAreBoundedToo() {
        ConcurrencyGate gate = new ConcurrencyGate("all", 1, new QueueBudget(2), clock);
        Ticket holder = gate.acquire(DIRECT, () -> { });
        Ticket head = gate.acquire(DIRECT, () -> { });

        // A client that queues and leaves in a loop while the slot is held: each leaves a tombstone behind the head.
        int queuedBeforeRejection = 0;
        while (queuedBeforeRejection < 10_000) {
            Ticket churn = gate.acquire(DIRECT, () -> { });
            if (churn.state() == REJECTED) {
                break;
            }
            churn.cancel();
            queuedBeforeRejection++;
        }
        assertThat(queuedBeforeRejection).isBetween(2, 64);
        assertThat(gate.queued()).isEqualTo(1);

        holder.release(); // the head is granted, the tombstones behind it are cleared, the queue takes waiters again
        assertThat(head.state()).isEqualTo(GRANTED);
        assertThat(gate.acquire(DIRECT, () -> { }).state()).isEqualTo(QUEUED);
    }

    @Test
    void aRefusingExecutorDoesNotLeakTheSlot() {
        ConcurrencyGate gate = new ConcurrencyGate("all", 1, new QueueBudget(5), clock);
        Ticket holder = gate.acquire(DIRECT, () -> { });
        Executor shutDown = task -> {
            throw new RejectedExecutionException("event loop shut down");
        };
        Ticket orphan = gate.acquire(shutDown, () -> { });
        AtomicInteger callbacks = new AtomicInteger();
        Ticket next = gate.acquire(DIRECT, callbacks::incrementAndGet);

        holder.release();

        assertThat(orphan.state()).isEqualTo(GRANTED);
        assertThat(next.state()).isEqualTo(GRANTED);
        assertThat(callbacks).hasValue(1);
        assertThat(gate.active()).isEqualTo(1);
    }

    @Test
    void describesItself() {
        ConcurrencyGate gate = new ConcurrencyGate("openai/gpt-4o", 2, new QueueBudget(5));
        gate.acquire(DIRECT, () -> { });
        assertThat(gate.name()).isEqualTo("openai/gpt-4o");
        assertThat(gate).hasToString("ConcurrencyGate[openai/gpt-4o, active=1/2, queued=0]");
        assertThatThrownBy(() -> new ConcurrencyGate("x", 0, new QueueBudget(1))).hasMessage("limit: 0 (expected: >= 1)");
    }

    @Test
    void thousandsOfMixedCallsFromSeveralThreadsLoseNoSlotAndGrantNothingTwice() throws Exception {
        int limit = 3;
        QueueBudget budget = new QueueBudget(6);
        ConcurrencyGate gate = new ConcurrencyGate("all", limit, budget);
        ConcurrentLinkedQueue<Attempt> attempts = new ConcurrentLinkedQueue<>();
        AtomicInteger overLimit = new AtomicInteger();
        int threads = 4;
        List<Ticket> outstanding = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<Ticket>>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long seed = 1_000 + t;
                Callable<List<Ticket>> worker = () -> {
                    start.await();
                    return hammer(gate, new SplittableRandom(seed), 5_000, attempts, overLimit, limit);
                };
                workers.add(pool.submit(worker));
            }
            start.countDown();
            for (Future<List<Ticket>> worker : workers) {
                outstanding.addAll(worker.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }

        // Quiescent now: a live waiter beside a free slot would be a hand-off that nobody will ever make.
        assertThat(gate.queued() == 0 || gate.active() == limit)
                .as("queued %d with %d of %d slots taken", gate.queued(), gate.active(), limit).isTrue();
        // Release every slot still held, including those handed over since their owner last looked;
        // each release hands its slot on, so this must end with every waiter granted (a lost hand-off would leave
        // one queued with all slots free) and every slot back.
        List<Ticket> released = new ArrayList<>();
        boolean progress = true;
        while (progress) {
            progress = false;
            for (Ticket ticket : outstanding) {
                if (ticket.state() == GRANTED && !released.contains(ticket)) {
                    released.add(ticket);
                    ticket.release();
                    progress = true;
                }
            }
        }
        assertThat(outstanding).extracting(Ticket::state).doesNotContain(QUEUED);
        assertThat(gate.active()).isZero();
        assertThat(gate.queued()).isZero();
        assertThat(budget.used()).isZero();
        assertThat(overLimit).hasValue(0);
        int queued = 0;
        int granted = 0;
        for (Attempt attempt : attempts) {
            Ticket ticket = attempt.ticket;
            if (ticket.wasQueued()) {
                queued++;
                int expected = ticket.state() == GRANTED ? 1 : 0;
                assertThat(attempt.callbacks).as("%s", ticket).hasValue(expected);
                granted += expected;
            } else {
                assertThat(attempt.callbacks).hasValue(0);
            }
        }
        // The run must really have exercised the queue, hand-offs and both ways of leaving it.
        assertThat(attempts).hasSize(threads * 5_000);
        assertThat(queued).isGreaterThan(100);
        assertThat(granted).isGreaterThan(10);
        assertThat(attempts).extracting(a -> a.ticket.state()).contains(CANCELLED, EXPIRED, REJECTED);
    }

    /**
     * One thread's share of the hammer: acquire, release, cancel and expire in random order.
     *
     * @return the tickets this thread still holds or waits on
     */
    private static List<Ticket> hammer(ConcurrencyGate gate, SplittableRandom random, int iterations,
                                       Queue<Attempt> all, AtomicInteger overLimit, int limit) {
        List<Ticket> held = new ArrayList<>();
        List<Ticket> waiting = new ArrayList<>();
        for (int i = 0; i < iterations; i++) {
            Attempt attempt = new Attempt();
            attempt.ticket = gate.acquire(DIRECT, () -> {
                attempt.callbacks.incrementAndGet();
                if (gate.active() > limit) {
                    overLimit.incrementAndGet();
                }
            });
            all.add(attempt);
            if (attempt.ticket.wasQueued()) {
                waiting.add(attempt.ticket);
            } else if (attempt.ticket.state() == GRANTED) {
                held.add(attempt.ticket);
            }
            int action = random.nextInt(4);
            if (action == 0 && !held.isEmpty()) {
                held.remove(random.nextInt(held.size())).release();
            } else if (action == 1 && !waiting.isEmpty()) {
                Ticket ticket = waiting.remove(random.nextInt(waiting.size()));
                boolean left = random.nextBoolean() ? ticket.cancel() : ticket.expire();
                if (!left) {
                    ticket.release(); // granted meanwhile: the slot is ours to give back
                }
            } else if (action == 2) {
                for (int w = waiting.size() - 1; w >= 0; w--) {
                    if (waiting.get(w).state() == GRANTED) {
                        held.add(waiting.remove(w));
                    }
                }
            }
        }
        List<Ticket> outstanding = new ArrayList<>(held);
        outstanding.addAll(waiting);
        return outstanding;
    }

    private static final class Attempt {
        final AtomicInteger callbacks = new AtomicInteger();
        volatile Ticket ticket;
    }

    /** An executor that runs tasks only when the test says so, like an event loop between two of its turns. */
    private static final class ManualExecutor implements Executor {
        private final Queue<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable task) {
            tasks.add(task);
        }

        void runAll() {
            Runnable task;
            while ((task = tasks.poll()) != null) {
                task.run();
            }
        }
    }
}
