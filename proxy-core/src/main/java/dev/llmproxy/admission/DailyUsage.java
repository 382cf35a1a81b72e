package dev.llmproxy.admission;

import dev.llmproxy.upstream.ModelHandle;
import dev.llmproxy.upstream.ModelIndex;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Today's upstream calls per model (REFERENCE §4c), for {@code /v1/rate-limits/daily} and {@code /v1/models}: the
 * day is the UTC date, because GitHub Models' daily quotas reset at 00:00 UTC. A counter from an earlier date is
 * reset lazily, by the first call that sees the new date; nothing runs at midnight. In memory only: a restart
 * starts the day at zero, as in the reference.
 *
 * <p>As in the reference, {@code count} counts successful calls and {@code errors} failed ones; a call is one or the
 * other, never both.
 *
 * <p>Threading: any thread. Each model's counter is one immutable value in an {@link AtomicReference}, replaced by
 * CAS. Keys are bounded: the ids given to the constructor (matched ignoring case, at their {@link ModelHandle}s'
 * indexes) and one shared
 * {@value QuotaTracker#OTHER_MODELS} slot for any other name.
 */
public final class DailyUsage {
    private static final long MILLIS_PER_DAY = 86_400_000L;

    /**
     * One model's calls today.
     *
     * @param count  successful upstream calls
     * @param errors failed upstream calls
     */
    public record Counts(long count, long errors) {
        public static final Counts ZERO = new Counts(0, 0);
    }

    /**
     * The counters at one moment.
     *
     * @param date            today, UTC
     * @param resetAt         the next 00:00 UTC
     * @param hoursUntilReset hours from the moment of the snapshot to {@code resetAt}, unrounded
     * @param models          models with calls today: known ids in constructor order, the shared slot last
     */
    public record Snapshot(LocalDate date, Instant resetAt, double hoursUntilReset, Map<String, Counts> models) {
        public Snapshot {
            Objects.requireNonNull(date, "date");
            Objects.requireNonNull(resetAt, "resetAt");
            models = Collections.unmodifiableMap(new LinkedHashMap<>(models));
        }
    }

    /** Counts of one UTC day, the day as days since the epoch. */
    private record Day(long epochDay, long count, long errors) {
    }

    private static final class ModelSlot {
        final String id;
        final AtomicReference<Day> day = new AtomicReference<>();

        ModelSlot(String id) {
            this.id = id;
        }
    }

    private final Clock clock;
    private final ModelTable<ModelSlot> slots;

    /**
     * @param knownModelIds the ids that get their own counter (the catalog's)
     * @param clock         wall time; only its UTC date matters
     */
    public DailyUsage(Collection<String> knownModelIds, Clock clock) {
        this(knownModelIds, new ModelIndex(), clock);
    }

    /** @param models the index whose handles the request path passes (the router's) */
    public DailyUsage(Collection<String> knownModelIds, ModelIndex models, Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.slots = new ModelTable<>(models, knownModelIds, ModelSlot::new, new ModelSlot(QuotaTracker.OTHER_MODELS));
    }

    /** Counts one upstream call for {@code model}: a success, or an error when {@code error}. */
    public void record(String model, boolean error) {
        record(slots.of(model), error);
    }

    /** {@link #record(String, boolean)} for a resolved model. */
    public void record(ModelHandle model, boolean error) {
        record(slots.at(model), error);
    }

    private void record(ModelSlot slot, boolean error) {
        long today = Math.floorDiv(clock.millis(), MILLIS_PER_DAY);
        long successes = error ? 0 : 1;
        long errors = error ? 1 : 0;
        slot.day.updateAndGet(current -> {
            // A day from the past is over. A day from the future means the wall clock stepped back across
            // midnight: keep counting into it rather than wiping a day's counts.
            if (current == null || current.epochDay() < today) {
                return new Day(today, successes, errors);
            }
            return new Day(current.epochDay(), current.count() + successes, current.errors() + errors);
        });
    }

    /** The model's counts for today; zero when it had no call today. */
    public Counts today(String model) {
        return countsOn(slots.of(model).day.get(), Math.floorDiv(clock.millis(), MILLIS_PER_DAY));
    }

    public Snapshot snapshot() {
        long nowMillis = clock.millis();
        long today = Math.floorDiv(nowMillis, MILLIS_PER_DAY);
        long resetMillis = (today + 1) * MILLIS_PER_DAY;
        Map<String, Counts> models = new LinkedHashMap<>();
        for (ModelSlot slot : slots.ordered()) {
            Day day = slot.day.get();
            if (day != null && day.epochDay() == today) {
                models.put(slot.id, new Counts(day.count(), day.errors()));
            }
        }
        return new Snapshot(LocalDate.ofEpochDay(today), Instant.ofEpochMilli(resetMillis),
                (resetMillis - nowMillis) / 3_600_000.0, models);
    }

    private static Counts countsOn(Day day, long today) {
        return day == null || day.epochDay() != today ? Counts.ZERO : new Counts(day.count(), day.errors());
    }
}
