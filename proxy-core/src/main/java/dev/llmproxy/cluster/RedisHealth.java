package dev.llmproxy.cluster;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Whether Redis answers, since when, the last error, and counters of every call's fate — for {@code /health},
 * {@code /metrics} and the failure mode.
 *
 * <p>It is also the breaker in front of Redis: after a timeout or a lost connection the state is {@code DOWN} and
 * calls are answered "unavailable" at once ({@link #admitsCalls()} is false) rather than each waiting out the command
 * timeout; a probe (PING) every {@link RedisTimings#probeInterval()} finds out when Redis is back. An error reply
 * that says nothing about reachability (a wrong key type, say) fails its call but leaves the state alone.
 *
 * <p>Threading: any thread. The state is one immutable value swapped by CAS; counters are {@link LongAdder}s.
 */
public final class RedisHealth {

    private static final Logger LOG = LoggerFactory.getLogger(RedisHealth.class);
    /** Error replies that mean "this server cannot serve now", not "this command is wrong". */
    private static final String[] UNAVAILABLE_REPLIES = {"LOADING", "BUSY", "MASTERDOWN", "READONLY", "CLUSTERDOWN",
            "TRYAGAIN", "NOREPLICAS"};

    /**
     * The state at one moment.
     *
     * @param up             Redis answered the last call
     * @param since          when the state last changed (start-up counts as the change to down)
     * @param lastError      the last failure, as {@code <exception>: <message>}; empty before any
     * @param calls          calls sent to Redis
     * @param timeouts       calls that got no answer within the command timeout
     * @param unreachable    calls that failed for want of a connection
     * @param errors         calls answered with an error reply or a reply the proxy could not read
     * @param shortCircuited calls answered "unavailable" without going to Redis, because it was down
     */
    public record Snapshot(boolean up, Instant since, String lastError, long calls, long timeouts, long unreachable,
                           long errors, long shortCircuited) {
    }

    private record State(boolean up, Instant since, String lastError) {
    }

    private final Clock clock;
    private final AtomicReference<State> state;
    private final LongAdder calls = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder unreachable = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder shortCircuited = new LongAdder();
    private volatile Runnable onRecovered = () -> { };

    RedisHealth(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.state = new AtomicReference<>(new State(false, clock.instant(), ""));
    }

    /** True while Redis is up: calls go to it. False: answer "unavailable" without trying. */
    public boolean admitsCalls() {
        return state.get().up;
    }

    public Snapshot snapshot() {
        State s = state.get();
        return new Snapshot(s.up, s.since, s.lastError, calls.sum(), timeouts.sum(), unreachable.sum(), errors.sum(),
                shortCircuited.sum());
    }

    /** Runs on the thread that saw Redis answer again, once per recovery; must not block. */
    void onRecovered(Runnable action) {
        this.onRecovered = Objects.requireNonNull(action, "action");
    }

    void callSent() {
        calls.increment();
    }

    void callShortCircuited() {
        shortCircuited.increment();
    }

    /** Redis answered (a reply, not an error). */
    void succeeded() {
        State s = state.get();
        if (s.up) {
            return;
        }
        if (state.compareAndSet(s, new State(true, clock.instant(), s.lastError))) {
            if (!s.lastError.isEmpty()) {
                LOG.info("Redis answers again; limits are shared across replicas");
            }
            onRecovered.run();
        }
    }

    /** A call failed; marks Redis down unless the failure is the command's own fault. */
    void failed(Throwable failure) {
        boolean reachability;
        if (failure instanceof RedisCommandTimeoutException) {
            timeouts.increment();
            reachability = true;
        } else if (failure instanceof RedisCommandExecutionException) {
            errors.increment();
            reachability = isUnavailableReply(failure.getMessage());
        } else {
            unreachable.increment();
            reachability = true;
        }
        String error = failure.getClass().getSimpleName() + ": " + failure.getMessage();
        for (;;) {
            State s = state.get();
            boolean goesDown = reachability && s.up;
            State next = goesDown ? new State(false, clock.instant(), error) : new State(s.up, s.since, error);
            if (state.compareAndSet(s, next)) {
                if (goesDown) {
                    LOG.warn("Redis unavailable ({}); limits fall back to the failure mode until it answers", error);
                }
                return;
            }
        }
    }

    /** A reply that could not be read as the script promises: a bug or a foreign value under one of our keys. */
    void unreadable(RuntimeException e) {
        errors.increment();
        for (;;) {
            State s = state.get();
            if (state.compareAndSet(s, new State(s.up, s.since, "unreadable reply: " + e))) {
                return;
            }
        }
    }

    private static boolean isUnavailableReply(String message) {
        if (message == null) {
            return false;
        }
        for (String prefix : UNAVAILABLE_REPLIES) {
            if (message.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }
}
