package dev.llmproxy.admission;

import dev.llmproxy.upstream.ModelHandle;
import dev.llmproxy.upstream.ModelIndex;

import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * The reference's "observed" per-model rate-limit guess (REFERENCE §4b), kept as bookkeeping: it rises ×1.2 after
 * more than 5 minutes of upstream successes without a 429, falls ×0.6 on an upstream 429 (at most once per 30 s),
 * stays in 1–200, and stops rising for good (hard cap) once a 60 s window holds two 429s with the guess at 2 or
 * below.
 *
 * <p>Unlike the reference, only upstream answers feed it: there is no input for the proxy's own rejections, so a
 * local 429 can never lower the guess and feed back into more local 429s (REFERENCE §12.15). Also unlike the
 * reference, nothing is persisted: the state starts fresh on every restart (the reference wrote
 * {@code observed-rate-limits.json} into the working directory every 10 minutes and loaded stale guesses back).
 *
 * <p>Threading: any thread. Each model's state is one immutable value in an {@link AtomicReference}, replaced by
 * CAS. Keys are bounded: the ids given to the constructor (matched ignoring case, at their {@link ModelHandle}s'
 * indexes) and one shared
 * {@value QuotaTracker#OTHER_MODELS} slot for any other name. Intervals run on the injected nano clock; the epoch
 * milliseconds reported come from the wall clock.
 */
public final class AdaptiveLimits {
    public static final int MIN_GUESS = 1;
    public static final int MAX_GUESS = 200;
    /** The counting window, as {@code window_seconds} in the report. */
    public static final int WINDOW_SECONDS = 60;

    static final double RAISE_FACTOR = 1.2;
    static final double LOWER_FACTOR = 0.6;
    static final long WINDOW_NANOS = Duration.ofSeconds(WINDOW_SECONDS).toNanos();
    static final long RAISE_INTERVAL_NANOS = Duration.ofMinutes(5).toNanos();
    static final long LOWER_COOLDOWN_NANOS = Duration.ofSeconds(30).toNanos();

    /** "Never raised/lowered": the reference's 0 timestamps, which make the first step happen at once. */
    private static final long NEVER = Long.MIN_VALUE;

    /**
     * One model's guess as reported by {@code /v1/rate-limits/observed}.
     *
     * @param guess                 requests per minute the upstream seems to allow
     * @param hardCap               the guess will not rise again
     * @param last429AtEpochMillis  wall time of the last upstream 429; 0 when there was none (as in the reference)
     * @param updatedAtEpochMillis  wall time of the last upstream outcome recorded for the model
     */
    public record Observed(int guess, boolean hardCap, long last429AtEpochMillis, long updatedAtEpochMillis) {
    }

    /** The reference's record; {@code success} is kept only to mirror it (nothing reads it there either). */
    private record State(int guess, int success, int r429, long windowStartNanos, long lastUpNanos,
                         long lastDownNanos, boolean hardCap, long last429AtMillis, long updatedAtMillis) {

        Observed observed() {
            return new Observed(guess, hardCap, last429AtMillis, updatedAtMillis);
        }
    }

    private static final class ModelSlot {
        final String id;
        final AtomicReference<State> state = new AtomicReference<>();

        ModelSlot(String id) {
            this.id = id;
        }
    }

    private final int initialGuess;
    private final Clock clock;
    private final LongSupplier nanoTime;
    private final ModelTable<ModelSlot> slots;

    /**
     * @param initialGuess  {@code RATE_LIMIT_PER_MINUTE}, the guess of a model before its first outcome; like the
     *                      reference, it is not clamped until the first change
     * @param knownModelIds the ids that get their own state (the catalog's)
     * @param clock         wall time, for the reported timestamps
     * @param nanoTime      monotonic time, for the 60 s window, the 5 min raise interval and the 30 s cooldown
     */
    public AdaptiveLimits(int initialGuess, Collection<String> knownModelIds, Clock clock, LongSupplier nanoTime) {
        this(initialGuess, knownModelIds, new ModelIndex(), clock, nanoTime);
    }

    /** @param models the index whose handles the request path passes (the router's) */
    public AdaptiveLimits(int initialGuess, Collection<String> knownModelIds, ModelIndex models, Clock clock,
                          LongSupplier nanoTime) {
        if (initialGuess < 1) {
            throw new IllegalArgumentException("initialGuess: " + initialGuess + " (expected: at least 1)");
        }
        this.initialGuess = initialGuess;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.slots = new ModelTable<>(models, knownModelIds, ModelSlot::new, new ModelSlot(QuotaTracker.OTHER_MODELS));
    }

    /** Records a successful upstream answer for {@code model}. */
    public void onSuccess(String model) {
        onSuccess(slots.of(model));
    }

    /** {@link #onSuccess(String)} for a resolved model. */
    public void onSuccess(ModelHandle model) {
        onSuccess(slots.at(model));
    }

    private void onSuccess(ModelSlot slot) {
        long now = nanoTime.getAsLong();
        long wallMillis = clock.millis();
        slot.state.updateAndGet(current -> afterSuccess(orFresh(current, now), now, wallMillis));
    }

    /** Records an upstream 429 for {@code model}; never call it for the proxy's own rejections. */
    public void on429(String model) {
        on429(slots.of(model));
    }

    /** {@link #on429(String)} for a resolved model. */
    public void on429(ModelHandle model) {
        on429(slots.at(model));
    }

    private void on429(ModelSlot slot) {
        long now = nanoTime.getAsLong();
        long wallMillis = clock.millis();
        slot.state.updateAndGet(current -> after429(orFresh(current, now), now, wallMillis));
    }

    /** The model's state, empty until an upstream outcome was recorded for it. */
    public Optional<Observed> observed(String model) {
        State state = slots.of(model).state.get();
        return state == null ? Optional.empty() : Optional.of(state.observed());
    }

    /** Every model with state: known ids in constructor order, the shared slot last. */
    public Map<String, Observed> snapshot() {
        Map<String, Observed> snapshot = new LinkedHashMap<>();
        for (ModelSlot slot : slots.ordered()) {
            State state = slot.state.get();
            if (state != null) {
                snapshot.put(slot.id, state.observed());
            }
        }
        return Collections.unmodifiableMap(snapshot);
    }

    private State orFresh(State current, long now) {
        return current != null ? current : new State(initialGuess, 0, 0, now, NEVER, NEVER, false, 0, 0);
    }

    private static State afterSuccess(State s, long now, long wallMillis) {
        int success = s.success() + 1;
        int r429 = s.r429();
        long windowStart = s.windowStartNanos();
        if (now - windowStart > WINDOW_NANOS) {
            success = 1;
            r429 = 0;
            windowStart = now;
        }
        int guess = s.guess();
        long lastUp = s.lastUpNanos();
        if (!s.hardCap() && r429 == 0 && longerAgoThan(lastUp, now, RAISE_INTERVAL_NANOS)) {
            guess = scaled(guess, RAISE_FACTOR);
            lastUp = now;
            success = 0;
        }
        return new State(guess, success, r429, windowStart, lastUp, s.lastDownNanos(), s.hardCap(),
                s.last429AtMillis(), wallMillis);
    }

    private static State after429(State s, long now, long wallMillis) {
        int success = s.success();
        int r429 = s.r429() + 1;
        long windowStart = s.windowStartNanos();
        if (now - windowStart > WINDOW_NANOS) {
            success = 0;
            r429 = 1;
            windowStart = now;
        }
        int guess = s.guess();
        long lastDown = s.lastDownNanos();
        if (longerAgoThan(lastDown, now, LOWER_COOLDOWN_NANOS)) {
            guess = scaled(guess, LOWER_FACTOR);
            lastDown = now;
        }
        boolean hardCap = s.hardCap() || (r429 >= 2 && guess <= 2);
        return new State(guess, success, r429, windowStart, s.lastUpNanos(), lastDown, hardCap,
                wallMillis, wallMillis);
    }

    private static boolean longerAgoThan(long then, long now, long intervalNanos) {
        return then == NEVER || now - then > intervalNanos;
    }

    /** {@code Math.round} rounds halves up, as JavaScript's does, so the reference's numbers come out the same. */
    private static int scaled(int guess, double factor) {
        long rounded = Math.round(guess * factor);
        return (int) Math.max(MIN_GUESS, Math.min(MAX_GUESS, rounded));
    }
}
