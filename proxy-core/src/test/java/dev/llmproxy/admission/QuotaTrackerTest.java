package dev.llmproxy.admission;

import dev.llmproxy.admission.QuotaTracker.Block;
import dev.llmproxy.admission.QuotaTracker.ModelQuota;
import dev.llmproxy.admission.QuotaTracker.Reason;
import dev.llmproxy.admission.UpstreamRateLimit.Kind;
import dev.llmproxy.cluster.LearnedQuota;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static java.util.Map.entry;
import static org.assertj.core.api.Assertions.assertThat;

class QuotaTrackerTest {
    private static final String MINI = "openai/gpt-4o-mini";
    private static final String GPT4O = "openai/gpt-4o";
    private static final List<String> KNOWN = List.of(MINI, GPT4O, "deepseek/deepseek-r1");

    private final ManualTime time = ManualTime.at("2025-03-10T21:30:00Z");
    private final QuotaTracker tracker = new QuotaTracker(KNOWN, time.clock(), time.nanoTime());

    @Test
    void minuteLimitPausesThatModelUntilRetryAfterThenThePauseVanishes() {
        tracker.onUpstream429(MINI, limit(Kind.USER_BY_MODEL_BY_MINUTE, 46L, 50L));

        assertThat(tracker.check(MINI)).hasValue(new Block(Reason.PAUSED_BY_MINUTE_LIMIT,
                Duration.ofSeconds(46).toNanos(), time.now().plusSeconds(46)));
        assertThat(tracker.check(GPT4O)).isEmpty();

        time.advance(Duration.ofSeconds(45).plusMillis(999));
        Block block = tracker.check(MINI).orElseThrow();
        assertThat(block.retryAfterNanos()).isEqualTo(Duration.ofMillis(1).toNanos());
        assertThat(block.retryAfterSeconds()).isEqualTo(1);

        time.advance(Duration.ofMillis(1));
        assertThat(tracker.check(MINI)).isEmpty();
        assertThat(tracker.snapshot().models()).isEmpty();
    }

    @Test
    void minuteLimitWithoutRetryAfterUsesTimeRemainingElseSixtySeconds() {
        tracker.onUpstream429(MINI, limit(Kind.USER_BY_MODEL_BY_MINUTE, null, 17L));
        tracker.onUpstream429(GPT4O, limit(Kind.USER_BY_MODEL_BY_MINUTE, null, null));

        assertThat(tracker.check(MINI).orElseThrow().retryAfterSeconds()).isEqualTo(17);
        assertThat(tracker.check(GPT4O).orElseThrow().retryAfterSeconds()).isEqualTo(60);
    }

    @Test
    void perUserMinuteLimitPausesEveryModelIncludingUnknownOnes() {
        tracker.onUpstream429(MINI, limit(Kind.USER_BY_MINUTE, 20L, null));

        for (String model : List.of(MINI, GPT4O, "deepseek/deepseek-r1", "someone/else")) {
            assertThat(tracker.check(model)).as(model).hasValue(new Block(Reason.PAUSED_BY_MINUTE_LIMIT,
                    Duration.ofSeconds(20).toNanos(), time.now().plusSeconds(20)));
        }
        assertThat(tracker.snapshot().globalPausedUntil()).isEqualTo(time.now().plusSeconds(20));

        time.advance(Duration.ofSeconds(20));
        assertThat(tracker.check(GPT4O)).isEmpty();
        assertThat(tracker.snapshot().globalPausedUntil()).isNull();
    }

    @Test
    void theLaterOfModelAndGlobalPauseIsReported() {
        tracker.onUpstream429(MINI, limit(Kind.USER_BY_MODEL_BY_MINUTE, 40L, null));
        tracker.onUpstream429(GPT4O, limit(Kind.USER_BY_MINUTE, 10L, null));

        assertThat(tracker.check(MINI).orElseThrow().retryAfterSeconds()).isEqualTo(40);
        assertThat(tracker.check(GPT4O).orElseThrow().retryAfterSeconds()).isEqualTo(10);

        time.advance(Duration.ofSeconds(10));
        assertThat(tracker.check(GPT4O)).isEmpty();
        assertThat(tracker.check(MINI).orElseThrow().retryAfterSeconds()).isEqualTo(30);
    }

    @Test
    void aLateShorter429DoesNotShortenAPause() {
        tracker.onUpstream429(MINI, limit(Kind.USER_BY_MODEL_BY_MINUTE, 50L, null));
        time.advance(Duration.ofSeconds(5));
        tracker.onUpstream429(MINI, limit(Kind.USER_BY_MODEL_BY_MINUTE, 3L, null));

        assertThat(tracker.check(MINI).orElseThrow().retryAfterSeconds()).isEqualTo(45);

        tracker.onUpstream429(MINI, limit(Kind.USER_BY_MODEL_BY_MINUTE, 55L, null));
        assertThat(tracker.check(MINI).orElseThrow().retryAfterSeconds()).isEqualTo(55);
    }

    @Test
    void dailyLimitExhaustsTheModelUntilTheNextUtcMidnight() {
        tracker.onUpstream429(MINI, limit(Kind.USER_BY_MODEL_BY_DAY, null, null));

        Instant midnight = Instant.parse("2025-03-11T00:00:00Z");
        assertThat(tracker.check(MINI)).hasValue(new Block(Reason.DAILY_QUOTA_EXHAUSTED,
                Duration.ofMinutes(150).toNanos(), midnight));
        assertThat(tracker.check(GPT4O)).isEmpty();

        time.advance(Duration.ofMinutes(150).minusMillis(1));
        assertThat(tracker.check(MINI).map(Block::reason)).hasValue(Reason.DAILY_QUOTA_EXHAUSTED);

        time.advance(Duration.ofMillis(1));
        assertThat(time.now()).isEqualTo(midnight);
        assertThat(tracker.check(MINI)).isEmpty();
    }

    @Test
    void dailyResetIsUtcMidnightWhateverTheClocksZone() {
        // 21:30 UTC is already the next day in Tokyo; the quota still resets at 00:00 UTC.
        QuotaTracker tokyo = new QuotaTracker(KNOWN, time.clock(ZoneId.of("Asia/Tokyo")),
                time.nanoTime());
        tokyo.onUpstream429(MINI, limit(Kind.USER_BY_MODEL_BY_DAY, null, null));

        assertThat(tokyo.check(MINI).orElseThrow().resetAt()).isEqualTo(Instant.parse("2025-03-11T00:00:00Z"));
    }

    @Test
    void dailyLimitHonoursUpstreamsRetryAfterOrTimeRemaining() {
        tracker.onUpstream429(MINI, limit(Kind.USER_BY_MODEL_BY_DAY, 3600L, null));
        tracker.onUpstream429(GPT4O, limit(Kind.USER_BY_MODEL_BY_DAY, null, 7200L));

        assertThat(tracker.check(MINI)).hasValue(new Block(Reason.DAILY_QUOTA_EXHAUSTED,
                Duration.ofHours(1).toNanos(), time.now().plusSeconds(3600)));
        assertThat(tracker.check(GPT4O).orElseThrow().resetAt()).isEqualTo(time.now().plusSeconds(7200));
    }

    @Test
    void aZeroRetryAfterOnADailyLimitStillWaitsForMidnight() {
        tracker.onUpstream429(MINI, limit(Kind.USER_BY_MODEL_BY_DAY, 0L, null));

        assertThat(tracker.check(MINI).orElseThrow().resetAt()).isEqualTo(Instant.parse("2025-03-11T00:00:00Z"));
    }

    @Test
    void dailyExhaustionWinsOverAMinutePause() {
        tracker.onUpstream429(MINI, limit(Kind.USER_BY_MODEL_BY_MINUTE, 30L, null));
        tracker.onUpstream429(MINI, limit(Kind.USER_BY_MODEL_BY_DAY, null, null));

        assertThat(tracker.check(MINI).map(Block::reason)).hasValue(Reason.DAILY_QUOTA_EXHAUSTED);
    }

    @Test
    void concurrencyLimitCutsToOneLessThanInFlightAndLapsesAfterAMinute() {
        tracker.onUpstream429(MINI, limit(Kind.USER_CONCURRENT_REQUESTS, 0L, null), 5);

        assertThat(tracker.concurrencyCut(MINI)).hasValue(4);
        assertThat(tracker.concurrencyCut(GPT4O)).isEmpty();
        assertThat(tracker.check(MINI)).as("a concurrency 429 pauses nothing").isEmpty();

        time.advance(QuotaTracker.CONCURRENCY_CUT_DURATION.minusNanos(1));
        assertThat(tracker.concurrencyCut(MINI)).hasValue(4);
        time.advance(Duration.ofNanos(1));
        assertThat(tracker.concurrencyCut(MINI)).isEmpty();
    }

    @Test
    void concurrencyCutNeverRisesWhileActiveAndNeverGoesBelowOne() {
        tracker.onUpstream429(MINI, limit(Kind.USER_CONCURRENT_REQUESTS, 0L, null), 3);
        assertThat(tracker.concurrencyCut(MINI)).hasValue(2);

        time.advance(Duration.ofSeconds(50));
        tracker.onUpstream429(MINI, limit(Kind.USER_CONCURRENT_REQUESTS, 0L, null), 6);
        assertThat(tracker.concurrencyCut(MINI)).as("kept, and extended").hasValue(2);
        time.advance(Duration.ofSeconds(50));
        assertThat(tracker.concurrencyCut(MINI)).hasValue(2);

        tracker.onUpstream429(MINI, limit(Kind.USER_CONCURRENT_REQUESTS, 0L, null), 1);
        assertThat(tracker.concurrencyCut(MINI)).hasValue(1);
        tracker.onUpstream429(MINI, limit(Kind.USER_CONCURRENT_REQUESTS, 0L, null), 0);
        assertThat(tracker.concurrencyCut(MINI)).hasValue(1);
    }

    @Test
    void aConcurrency429WithUnknownInFlightOnlyLowersAnActiveCut() {
        tracker.onUpstream429(MINI, limit(Kind.USER_CONCURRENT_REQUESTS, 0L, null));
        assertThat(tracker.concurrencyCut(MINI)).isEmpty();

        tracker.onUpstream429(MINI, limit(Kind.USER_CONCURRENT_REQUESTS, 0L, null), 4);
        tracker.onUpstream429(MINI, limit(Kind.USER_CONCURRENT_REQUESTS, 0L, null));
        assertThat(tracker.concurrencyCut(MINI)).hasValue(2);
    }

    @Test
    void anUnknownKindPausesTheModelOnlyWhenUpstreamSaidHowLong() {
        tracker.onUpstream429(MINI, limit(Kind.OTHER, null, null));
        assertThat(tracker.check(MINI)).isEmpty();

        tracker.onUpstream429(MINI, limit(Kind.OTHER, 12L, null));
        assertThat(tracker.check(MINI).orElseThrow().retryAfterSeconds()).isEqualTo(12);
    }

    @Test
    void aHugeRetryAfterPausesForAtMostOneDay() {
        tracker.onUpstream429(MINI, limit(Kind.USER_BY_MODEL_BY_MINUTE, 999_999_999_999_999L, null));

        assertThat(tracker.check(MINI).orElseThrow().retryAfterNanos()).isEqualTo(Duration.ofDays(1).toNanos());
    }

    @Test
    void modelIdsMatchIgnoringCase() {
        tracker.onUpstream429("OpenAI/GPT-4o-mini", limit(Kind.USER_BY_MODEL_BY_MINUTE, 30L, null));

        assertThat(tracker.check(MINI)).isPresent();
        assertThat(tracker.snapshot().models()).containsOnlyKeys(MINI);
    }

    @Test
    void unknownModelNamesShareOneSlotSoStateStaysBounded() {
        for (int i = 0; i < 10_000; i++) {
            tracker.onUpstream429("attacker/model-" + i, limit(Kind.USER_BY_MODEL_BY_MINUTE, 30L, null), 3);
        }
        tracker.onUpstream429(null, limit(Kind.USER_BY_MODEL_BY_DAY, null, null));

        assertThat(tracker.check("never/seen-before")).isPresent();
        assertThat(tracker.check(MINI)).isEmpty();
        assertThat(tracker.snapshot().models()).containsOnlyKeys(QuotaTracker.OTHER_MODELS);
    }

    @Test
    void snapshotListsActiveStateInCatalogOrderWithTheSharedSlotLast() {
        tracker.onUpstream429("x/unknown", limit(Kind.USER_BY_MODEL_BY_MINUTE, 5L, null));
        tracker.onUpstream429(GPT4O, limit(Kind.USER_CONCURRENT_REQUESTS, 0L, null), 2);
        tracker.onUpstream429(MINI, limit(Kind.USER_BY_MODEL_BY_DAY, null, null));
        tracker.onUpstream429(MINI, limit(Kind.USER_BY_MODEL_BY_MINUTE, 30L, null));

        QuotaTracker.Snapshot snapshot = tracker.snapshot();

        assertThat(snapshot.globalPausedUntil()).isNull();
        assertThat(snapshot.models()).containsExactly(
                entry(MINI, new ModelQuota(time.now().plusSeconds(30),
                        Instant.parse("2025-03-11T00:00:00Z"), null, null)),
                entry(GPT4O, new ModelQuota(null, null, 1, time.now().plusSeconds(60))),
                entry(QuotaTracker.OTHER_MODELS,
                        new ModelQuota(time.now().plusSeconds(5), null, null, null)));
    }

    @Test
    void pausesWorkAcrossNanoClockOverflow() {
        ManualTime nearOverflow = new ManualTime(Instant.parse("2025-03-10T12:00:00Z"),
                Long.MAX_VALUE - Duration.ofSeconds(10).toNanos());
        QuotaTracker wrapping = new QuotaTracker(KNOWN, nearOverflow.clock(), nearOverflow.nanoTime());
        wrapping.onUpstream429(MINI, limit(Kind.USER_BY_MODEL_BY_MINUTE, 30L, null));

        nearOverflow.advance(Duration.ofSeconds(20));
        assertThat(nearOverflow.nanos()).isNegative();
        assertThat(wrapping.check(MINI).orElseThrow().retryAfterSeconds()).isEqualTo(10);

        nearOverflow.advance(Duration.ofSeconds(10));
        assertThat(wrapping.check(MINI)).isEmpty();
    }

    @Test
    void concurrentConcurrency429sKeepTheLowestCut() throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int inFlight = 10 + t;
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 10_000; i++) {
                        tracker.onUpstream429(MINI, limit(Kind.USER_CONCURRENT_REQUESTS, 0L, null), inFlight);
                        tracker.check(MINI);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> future : futures) {
                future.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(tracker.concurrencyCut(MINI)).hasValue(9);
    }

    @Test
    void each429ReportsWhatItPutInForceForTheOtherReplicas() {
        assertThat(tracker.onUpstream429(MINI, limit(Kind.USER_BY_MODEL_BY_MINUTE, 46L, null), 1))
                .isEqualTo(new LearnedQuota(LearnedQuota.Kind.PAUSE, MINI, Duration.ofSeconds(46).toNanos(), -1));
        time.advance(Duration.ofSeconds(6));
        // a shorter pause learned later: the longer one in force is what the others must keep
        assertThat(tracker.onUpstream429(MINI, limit(Kind.USER_BY_MODEL_BY_MINUTE, 5L, null), 1))
                .isEqualTo(new LearnedQuota(LearnedQuota.Kind.PAUSE, MINI, Duration.ofSeconds(40).toNanos(), -1));
        assertThat(tracker.onUpstream429(GPT4O, limit(Kind.USER_BY_MINUTE, 20L, null), 1))
                .isEqualTo(new LearnedQuota(LearnedQuota.Kind.ALL, QuotaTracker.OTHER_MODELS,
                        Duration.ofSeconds(20).toNanos(), -1));
        assertThat(tracker.onUpstream429(GPT4O, limit(Kind.USER_BY_MODEL_BY_DAY, 3600L, null), 1))
                .isEqualTo(new LearnedQuota(LearnedQuota.Kind.DAY, GPT4O, Duration.ofHours(1).toNanos(), -1));
        assertThat(tracker.onUpstream429("deepseek/DeepSeek-R1", limit(Kind.USER_CONCURRENT_REQUESTS, null, null), 5))
                .isEqualTo(new LearnedQuota(LearnedQuota.Kind.CONCURRENCY, "deepseek/deepseek-r1",
                        QuotaTracker.CONCURRENCY_CUT_DURATION.toNanos(), 4));
        assertThat(tracker.onUpstream429("someone/else", limit(Kind.OTHER, 7L, null), 1))
                .isEqualTo(new LearnedQuota(LearnedQuota.Kind.PAUSE, QuotaTracker.OTHER_MODELS,
                        Duration.ofSeconds(7).toNanos(), -1));
    }

    @Test
    void a429ThatTeachesNothingReportsNothing() {
        assertThat(tracker.onUpstream429(MINI, limit(Kind.OTHER, null, null), 1)).isNull();
        // a concurrency 429 with the in-flight count unknown and no cut active changes nothing
        assertThat(tracker.onUpstream429(MINI, limit(Kind.USER_CONCURRENT_REQUESTS, null, null), -1)).isNull();
        assertThat(tracker.snapshot().models()).isEmpty();
    }

    @Test
    void newsFromAnotherReplicaPausesAsIfThisReplicaHadSeenThe429() {
        tracker.apply(new LearnedQuota(LearnedQuota.Kind.PAUSE, "OPENAI/gpt-4o-mini", Duration.ofSeconds(30).toNanos(),
                -1), 3);
        tracker.apply(new LearnedQuota(LearnedQuota.Kind.DAY, GPT4O, Duration.ofHours(2).toNanos(), -1), 3);

        assertThat(tracker.check(MINI)).hasValue(new Block(Reason.PAUSED_BY_MINUTE_LIMIT,
                Duration.ofSeconds(30).toNanos(), time.now().plusSeconds(30)));
        assertThat(tracker.check(GPT4O)).hasValue(new Block(Reason.DAILY_QUOTA_EXHAUSTED,
                Duration.ofHours(2).toNanos(), time.now().plus(Duration.ofHours(2))));
        assertThat(tracker.check("deepseek/deepseek-r1")).isEmpty();

        // news of a shorter pause (a late 429 on another replica) does not cut this one short
        tracker.apply(new LearnedQuota(LearnedQuota.Kind.PAUSE, MINI, Duration.ofSeconds(2).toNanos(), -1), 3);
        assertThat(tracker.check(MINI).orElseThrow().retryAfterSeconds()).isEqualTo(30);

        tracker.apply(new LearnedQuota(LearnedQuota.Kind.ALL, QuotaTracker.OTHER_MODELS,
                Duration.ofSeconds(50).toNanos(), -1), 3);
        assertThat(tracker.check("deepseek/deepseek-r1").orElseThrow().retryAfterSeconds()).isEqualTo(50);
    }

    @Test
    void newsAboutAModelThisReplicaDoesNotListLeavesTheSharedSlotAlone() {
        tracker.apply(new LearnedQuota(LearnedQuota.Kind.PAUSE, "listed/elsewhere", Duration.ofSeconds(30).toNanos(),
                -1), 2);
        assertThat(tracker.check("listed/elsewhere")).isEmpty();
        assertThat(tracker.check("made/up")).isEmpty();

        tracker.apply(new LearnedQuota(LearnedQuota.Kind.PAUSE, QuotaTracker.OTHER_MODELS,
                Duration.ofSeconds(30).toNanos(), -1), 2);
        assertThat(tracker.check("made/up")).isPresent();
        assertThat(tracker.check(MINI)).isEmpty();
    }

    @Test
    void aConcurrencyCutIsSharedOutAmongTheLiveReplicasAndNeverRaisesAnActiveCut() {
        tracker.apply(new LearnedQuota(LearnedQuota.Kind.CONCURRENCY, MINI, Duration.ofSeconds(60).toNanos(), 7), 3);
        assertThat(tracker.concurrencyCut(MINI)).hasValue(2); // 7 / 3: together at most what one proxy allowed

        tracker.apply(new LearnedQuota(LearnedQuota.Kind.CONCURRENCY, MINI, Duration.ofSeconds(60).toNanos(), 12), 3);
        assertThat(tracker.concurrencyCut(MINI)).hasValue(2);

        tracker.apply(new LearnedQuota(LearnedQuota.Kind.CONCURRENCY, MINI, Duration.ofSeconds(90).toNanos(), 2), 3);
        assertThat(tracker.concurrencyCut(MINI)).hasValue(1); // never below one
        time.advance(Duration.ofSeconds(89));
        assertThat(tracker.concurrencyCut(MINI)).hasValue(1);
        time.advance(Duration.ofSeconds(1));
        assertThat(tracker.concurrencyCut(MINI)).isEmpty();
    }

    private static UpstreamRateLimit limit(Kind kind, Long retryAfter, Long timeRemaining) {
        return new UpstreamRateLimit(kind, kind.wireName(),
                retryAfter == null ? OptionalLong.empty() : OptionalLong.of(retryAfter),
                timeRemaining == null ? OptionalLong.empty() : OptionalLong.of(timeRemaining),
                "RateLimitReached", null);
    }
}
