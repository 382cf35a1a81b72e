package dev.llmproxy.admission;

import dev.llmproxy.cluster.LearnedQuota;
import dev.llmproxy.upstream.ModelHandle;
import dev.llmproxy.upstream.ModelIndex;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;

/**
 * The proxy's memory of what upstream said about its quota, so that it stops spending calls upstream will refuse:
 * a model paused until its minute window reopens, every model paused after a per-user minute limit, a model whose
 * daily quota is gone until the reset, a lowered concurrency for a model that hit its concurrent-request limit.
 *
 * <p>Threading: any thread. Each piece of state is one immutable value in an {@link AtomicReference}, changed by
 * CAS; {@link #check} reads at most three references and allocates nothing when nothing blocks. Keys are bounded:
 * the model ids given to the constructor (matched ignoring case, kept at their {@link ModelHandle}s' indexes; the
 * request path passes handles, so it looks nothing up) plus one shared {@value #OTHER_MODELS} slot for
 * every other name, so a client inventing model names cannot grow memory. A consequence: a pause learned for one
 * unknown name applies to all unknown names — they are not in the catalog, so upstream quota for them is
 * unknown anyway. Ids that appear in a refreshed catalog after construction also share that slot.
 *
 * <p>Durations run on the injected nano clock (monotonic); instants shown to clients come from the wall clock.
 */
public final class QuotaTracker {
    /** The one slot, and the report key, for every model name outside the known set. */
    public static final String OTHER_MODELS = "other";
    /** A per-minute 429 without {@code retry-after} or {@code x-ratelimit-timeremaining}: wait out a whole window. */
    public static final Duration DEFAULT_MINUTE_PAUSE = Duration.ofSeconds(60);
    /** How long a concurrency cut stays after the last {@code UserConcurrentRequests} 429 for the model. */
    public static final Duration CONCURRENCY_CUT_DURATION = Duration.ofSeconds(60);
    /**
     * The longest pause any 429 can cause. A daily quota resets within a day; a larger {@code retry-after} is a broken
     * upstream, and must not lock a model out for a year (nor overflow nano arithmetic).
     */
    public static final Duration MAX_PAUSE = Duration.ofHours(24);

    /** Passed as in-flight count when the caller does not know it. */
    private static final int IN_FLIGHT_UNKNOWN = -1;

    /** Why {@link #check} refuses a call before it goes upstream. */
    public enum Reason {
        /** A per-minute window of this model, or of the whole account, is exhausted. */
        PAUSED_BY_MINUTE_LIMIT,
        /** This model's daily quota is exhausted until the reset. */
        DAILY_QUOTA_EXHAUSTED
    }

    /**
     * A call the proxy should answer itself with 429, without spending an upstream call.
     *
     * @param reason          which quota is out
     * @param retryAfterNanos how long until it is worth trying again; always positive
     * @param resetAt         wall time when the block ends (for the body of the 429)
     */
    public record Block(Reason reason, long retryAfterNanos, Instant resetAt) {
        public Block {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(resetAt, "resetAt");
        }

        /** For {@code Retry-After}: whole seconds, rounded up so a client that obeys it is not refused again. */
        public long retryAfterSeconds() {
            return Math.max(1, (retryAfterNanos + 999_999_999L) / 1_000_000_000L);
        }
    }

    /**
     * A temporary lower bound on a model's concurrent upstream calls.
     *
     * @param limit      at most this many calls in flight for the model; at least 1
     * @param untilNanos on the tracker's nano clock, when the cut lapses
     */
    public record ConcurrencyCut(int limit, long untilNanos) {
    }

    /**
     * One model's live quota state, for reports; a null field is not set.
     *
     * @param pausedUntil          end of this model's minute pause (the global pause is in {@link Snapshot})
     * @param dailyExhaustedUntil  when the daily quota is expected back
     * @param concurrencyLimit     the lowered concurrency
     * @param concurrencyLimitUntil when the lowered concurrency lapses
     */
    public record ModelQuota(
            Instant pausedUntil, Instant dailyExhaustedUntil, Integer concurrencyLimit, Instant concurrencyLimitUntil) {
    }

    /**
     * Everything active at one moment.
     *
     * @param globalPausedUntil end of the all-models pause ({@code UserByMinute}), or null
     * @param models            models with any active state, known ids in constructor order, {@value #OTHER_MODELS} last
     */
    public record Snapshot(Instant globalPausedUntil, Map<String, ModelQuota> models) {
        public Snapshot {
            models = Collections.unmodifiableMap(new LinkedHashMap<>(models));
        }
    }

    /** A pause on both clocks: nanos to decide, the instant to tell the client. */
    private record Pause(long untilNanos, Instant until) {
    }

    private static final class ModelSlot {
        final String id;
        final AtomicReference<Pause> minutePause = new AtomicReference<>();
        final AtomicReference<Pause> dailyExhaustion = new AtomicReference<>();
        final AtomicReference<ConcurrencyCut> concurrencyCut = new AtomicReference<>();

        ModelSlot(String id) {
            this.id = id;
        }
    }

    private final Clock clock;
    private final LongSupplier nanoTime;
    /** Slots at the known ids' handles, the shared one for the rest; report order: known ids as given, then it. */
    private final ModelTable<ModelSlot> slots;
    private final AtomicReference<Pause> globalPause = new AtomicReference<>();

    /**
     * @param knownModelIds the ids that get a slot each (the catalog's); duplicates ignoring case share one
     * @param clock         wall time, for reset instants and the next 00:00 UTC
     * @param nanoTime      monotonic time, for every duration ({@code System::nanoTime} in production)
     */
    public QuotaTracker(Collection<String> knownModelIds, Clock clock, LongSupplier nanoTime) {
        this(knownModelIds, new ModelIndex(), clock, nanoTime);
    }

    /** @param models the index whose handles the request path passes (the router's) */
    public QuotaTracker(Collection<String> knownModelIds, ModelIndex models, Clock clock, LongSupplier nanoTime) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.slots = new ModelTable<>(models, knownModelIds, ModelSlot::new, new ModelSlot(OTHER_MODELS));
    }

    /**
     * Learns from an upstream 429 whose in-flight count is unknown. For {@code UserConcurrentRequests} that means an
     * active cut is lowered by one more, and no cut is started; prefer
     * {@link #onUpstream429(String, UpstreamRateLimit, int)}.
     */
    public LearnedQuota onUpstream429(String model, UpstreamRateLimit limit) {
        return onUpstream429(model, limit, IN_FLIGHT_UNKNOWN);
    }

    /**
     * Learns from an upstream 429 for {@code model}:
     * <ul>
     *   <li>{@code UserByModelByMinute} pauses the model for the effective retry-after (else 60 s);</li>
     *   <li>{@code UserByMinute} pauses every model likewise;</li>
     *   <li>{@code UserByModelByDay} marks the model exhausted for the effective retry-after when upstream gives a
     *       positive one, else until the next 00:00 UTC;</li>
     *   <li>{@code UserConcurrentRequests} caps the model at {@code inFlightForModel - 1} (at least 1) for
     *       {@link #CONCURRENCY_CUT_DURATION}, never raising an active cut;</li>
     *   <li>any other 429 pauses the model only when it came with a positive retry-after or time remaining.</li>
     * </ul>
     * A pause already longer than the new one is kept: a late 429 from a call sent earlier must not shorten it.
     *
     * @param inFlightForModel upstream calls in flight for this model when the 429 arrived, this one included;
     *                         negative when unknown
     * @return what is now in force because of it, for the other replicas ({@code QuotaSignals}); null when the 429
     *         taught nothing
     */
    public LearnedQuota onUpstream429(String model, UpstreamRateLimit limit, int inFlightForModel) {
        return onUpstream429(slots.of(model), limit, inFlightForModel);
    }

    /** {@link #onUpstream429(String, UpstreamRateLimit, int)} for a resolved model. */
    public LearnedQuota onUpstream429(ModelHandle model, UpstreamRateLimit limit, int inFlightForModel) {
        return onUpstream429(slots.at(model), limit, inFlightForModel);
    }

    private LearnedQuota onUpstream429(ModelSlot slot, UpstreamRateLimit limit, int inFlightForModel) {
        Objects.requireNonNull(limit, "limit");
        long now = nanoTime.getAsLong();
        return switch (limit.kind()) {
            case USER_BY_MODEL_BY_MINUTE -> learned(LearnedQuota.Kind.PAUSE, slot.id, extend(slot.minutePause,
                    pauseFor(limit.effectiveRetryAfterSeconds(DEFAULT_MINUTE_PAUSE.toSeconds()), now)), now);
            case USER_BY_MINUTE -> learned(LearnedQuota.Kind.ALL, OTHER_MODELS, extend(globalPause,
                    pauseFor(limit.effectiveRetryAfterSeconds(DEFAULT_MINUTE_PAUSE.toSeconds()), now)), now);
            case USER_BY_MODEL_BY_DAY -> {
                long seconds = limit.effectiveRetryAfterSeconds(0);
                yield learned(LearnedQuota.Kind.DAY, slot.id, extend(slot.dailyExhaustion,
                        seconds > 0 ? pauseFor(seconds, now) : untilNextUtcMidnight(now)), now);
            }
            case USER_CONCURRENT_REQUESTS -> {
                ConcurrencyCut cut = cutConcurrency(slot, inFlightForModel, now);
                yield cut == null || cut.untilNanos() - now <= 0 ? null
                        : new LearnedQuota(LearnedQuota.Kind.CONCURRENCY, slot.id, cut.untilNanos() - now, cut.limit());
            }
            case OTHER -> {
                long seconds = limit.effectiveRetryAfterSeconds(0);
                yield seconds > 0 ? learned(LearnedQuota.Kind.PAUSE, slot.id, extend(slot.minutePause,
                        pauseFor(seconds, now)), now) : null;
            }
        };
    }

    private static LearnedQuota learned(LearnedQuota.Kind kind, String model, Pause pause, long now) {
        long left = pause.untilNanos() - now;
        return left > 0 ? new LearnedQuota(kind, model, left, -1) : null;
    }

    /**
     * Takes in what a replica learned and published ({@code QuotaSignals}), this one's own news included: the pause
     * or exhaustion is kept unless a longer one is in force; a concurrency cut is shared out, each of
     * {@code replicas} live replicas holding the model to {@code limit / replicas} (at least 1), so that together they
     * stay within what one proxy would have allowed, and never raises an active cut. News about a model this
     * replica does not list is ignored: here that id shares a slot with every other unlisted id.
     */
    public void apply(LearnedQuota learned, int replicas) {
        long now = nanoTime.getAsLong();
        long until = now + Math.min(learned.nanos(), MAX_PAUSE.toNanos());
        if (learned.kind() == LearnedQuota.Kind.ALL) {
            extend(globalPause, new Pause(until, clock.instant().plusNanos(until - now)));
            return;
        }
        ModelSlot slot = slots.named(learned.model());
        if (slot == null) {
            return;
        }
        switch (learned.kind()) {
            case PAUSE -> extend(slot.minutePause, new Pause(until, clock.instant().plusNanos(until - now)));
            case DAY -> extend(slot.dailyExhaustion, new Pause(until, clock.instant().plusNanos(until - now)));
            case CONCURRENCY -> {
                int share = Math.max(1, learned.limit() / Math.max(1, replicas));
                slot.concurrencyCut.accumulateAndGet(new ConcurrencyCut(share, until), (current, next) ->
                        current == null || current.untilNanos() - now <= 0 ? next : new ConcurrencyCut(
                                Math.min(current.limit(), next.limit()),
                                next.untilNanos() - current.untilNanos() > 0 ? next.untilNanos() : current.untilNanos()));
            }
            default -> throw new IllegalStateException("kind: " + learned.kind());
        }
    }

    /**
     * Whether a call for {@code model} should be answered locally instead of going upstream. A daily exhaustion
     * wins over a minute pause; of the model's and the global pause, the later one is reported. Expired state is
     * dropped here.
     */
    public Optional<Block> check(String model) {
        return check(slots.of(model));
    }

    /** {@link #check(String)} for a resolved model. */
    public Optional<Block> check(ModelHandle model) {
        return check(slots.at(model));
    }

    private Optional<Block> check(ModelSlot slot) {
        long now = nanoTime.getAsLong();
        Pause daily = live(slot.dailyExhaustion, now);
        if (daily != null) {
            return Optional.of(new Block(Reason.DAILY_QUOTA_EXHAUSTED, daily.untilNanos() - now, daily.until()));
        }
        Pause own = live(slot.minutePause, now);
        Pause global = live(globalPause, now);
        Pause longer = own == null ? global : global == null ? own : later(own, global);
        if (longer == null) {
            return Optional.empty();
        }
        return Optional.of(new Block(Reason.PAUSED_BY_MINUTE_LIMIT, longer.untilNanos() - now, longer.until()));
    }

    /** The lowered concurrency for {@code model} while a cut is active. */
    public OptionalInt concurrencyCut(String model) {
        return concurrencyCut(slots.of(model));
    }

    /** {@link #concurrencyCut(String)} for a resolved model. */
    public OptionalInt concurrencyCut(ModelHandle model) {
        return concurrencyCut(slots.at(model));
    }

    private OptionalInt concurrencyCut(ModelSlot slot) {
        ConcurrencyCut cut = liveCut(slot, nanoTime.getAsLong());
        return cut == null ? OptionalInt.empty() : OptionalInt.of(cut.limit());
    }

    /** The active state of every model, for {@code GET /v1/rate-limits/observed}. */
    public Snapshot snapshot() {
        long now = nanoTime.getAsLong();
        Instant wallNow = clock.instant();
        Map<String, ModelQuota> models = new LinkedHashMap<>();
        for (ModelSlot slot : slots.ordered()) {
            Pause minute = live(slot.minutePause, now);
            Pause daily = live(slot.dailyExhaustion, now);
            ConcurrencyCut cut = liveCut(slot, now);
            if (minute != null || daily != null || cut != null) {
                models.put(slot.id, new ModelQuota(
                        minute == null ? null : minute.until(),
                        daily == null ? null : daily.until(),
                        cut == null ? null : cut.limit(),
                        cut == null ? null : wallNow.plusNanos(cut.untilNanos() - now)));
            }
        }
        Pause global = live(globalPause, now);
        return new Snapshot(global == null ? null : global.until(), models);
    }

    private Pause pauseFor(long seconds, long now) {
        Duration duration = Duration.ofSeconds(Math.min(Math.max(0, seconds), MAX_PAUSE.toSeconds()));
        return new Pause(now + duration.toNanos(), clock.instant().plus(duration));
    }

    private Pause untilNextUtcMidnight(long now) {
        Instant wallNow = clock.instant();
        Instant midnight = LocalDate.ofInstant(wallNow, ZoneOffset.UTC).plusDays(1).atStartOfDay(ZoneOffset.UTC)
                .toInstant();
        return new Pause(now + Duration.between(wallNow, midnight).toNanos(), midnight);
    }

    private ConcurrencyCut cutConcurrency(ModelSlot slot, int inFlight, long now) {
        long until = now + CONCURRENCY_CUT_DURATION.toNanos();
        UnaryOperator<ConcurrencyCut> lower = current -> {
            boolean active = current != null && current.untilNanos() - now > 0;
            int proposed;
            if (inFlight < 0) { // unknown
                if (!active) {
                    return current;
                }
                proposed = current.limit() - 1;
            } else {
                proposed = inFlight - 1;
                if (active) {
                    proposed = Math.min(proposed, current.limit());
                }
            }
            return new ConcurrencyCut(Math.max(1, proposed), until);
        };
        return slot.concurrencyCut.updateAndGet(lower);
    }

    /** Keeps whichever pause ends later; an expired current one is simply replaced. Returns the pause in force. */
    private static Pause extend(AtomicReference<Pause> ref, Pause proposed) {
        return ref.accumulateAndGet(proposed, (current, next) -> current == null ? next : later(current, next));
    }

    private static Pause later(Pause a, Pause b) {
        return b.untilNanos() - a.untilNanos() > 0 ? b : a;
    }

    /** The pause if it still runs; an expired one is cleared (only if nobody replaced it meanwhile). */
    private static Pause live(AtomicReference<Pause> ref, long now) {
        Pause pause = ref.get();
        if (pause == null) {
            return null;
        }
        if (pause.untilNanos() - now > 0) {
            return pause;
        }
        ref.compareAndSet(pause, null);
        return null;
    }

    private static ConcurrencyCut liveCut(ModelSlot slot, long now) {
        ConcurrencyCut cut = slot.concurrencyCut.get();
        if (cut == null) {
            return null;
        }
        if (cut.untilNanos() - now > 0) {
            return cut;
        }
        slot.concurrencyCut.compareAndSet(cut, null);
        return null;
    }
}
