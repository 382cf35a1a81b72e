package dev.llmproxy.stats;

import dev.llmproxy.metrics.Stage;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Map.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;
import static org.assertj.core.api.Assertions.within;

class UsageStatsTest {
    private static final String MINI = "openai/gpt-4o-mini";
    private static final String GPT4O = "openai/gpt-4o";

    private final TestClock clock = new TestClock();
    private final UsageStats stats = new UsageStats(clock);

    private Usage sinceStart(String model) {
        return stats.snapshot().sinceStart().get(model);
    }

    @Test
    void reproducesTheReferenceEfficiencyExample() {
        // REFERENCE §7, observed: 1 success with 12 tokens in 19 ms gives efficiency 80 and tokensPerSecond 632.
        stats.onRequest(Samples.chat(MINI).millis(19).tokens(5, 7).build());

        Usage usage = sinceStart(MINI);
        assertThat(usage.requests()).isEqualTo(1);
        assertThat(usage.successTokens()).isEqualTo(12);
        assertThat(usage.avgResponseMillis()).isCloseTo(19, within(1e-9));
        assertThat(usage.efficiency()).isEqualTo(80);
        assertThat(usage.tokensPerSecond()).isEqualTo(632);
        assertThat(usage.errorRate()).isEqualTo("0.0%");
    }

    @Test
    void efficiencyFollowsTheReferenceFormulaTermByTerm() {
        // successRate 0.75, avg 20 s → speed term min(10000/20000, 1) = 0.5, avg 420 tokens → 0.42.
        for (int i = 0; i < 3; i++) {
            stats.onRequest(Samples.chat(MINI).millis(20_000).tokens(120, 300).build());
        }
        stats.onRequest(Samples.chat(MINI).error("UPSTREAM_TIMEOUT", 504).millis(60_000).build());

        Usage usage = sinceStart(MINI);
        double expected = 100 * (0.5 * 0.75 + 0.3 * 0.5 + 0.2 * 0.42);
        assertThat(usage.efficiency()).isEqualTo(Math.round(expected)).isEqualTo(61);
        assertThat(usage.avgResponseMillis()).as("averages are over successes").isCloseTo(20_000, within(1e-6));
        assertThat(usage.tokensPerSecond()).isEqualTo(21);
    }

    @Test
    void speedAndTokenTermsAreCappedAndEfficiencyIsZeroWithoutSuccesses() {
        stats.onRequest(Samples.chat(MINI).millis(0.5).tokens(4000, 4000).build());
        assertThat(sinceStart(MINI).efficiency()).isEqualTo(100);

        stats.onRequest(Samples.chat(GPT4O).error("QUEUE_FULL", 503).build());
        Usage failed = sinceStart(GPT4O);
        assertThat(failed.efficiency()).isZero();
        assertThat(failed.tokensPerSecond()).isZero();
        assertThat(failed.avgResponseMillis()).isZero();
    }

    @Test
    void errorRateHasOneDecimalAndAPercentSign() {
        assertThat(rate(1, 2)).isEqualTo("33.3%");
        assertThat(rate(2, 1)).isEqualTo("66.7%");
        assertThat(rate(1, 7)).isEqualTo("12.5%");
        assertThat(rate(1, 1999)).as("0.05 rounds half up").isEqualTo("0.1%");
        assertThat(rate(3, 0)).isEqualTo("100.0%");
        assertThat(rate(0, 5)).isEqualTo("0.0%");
        assertThat(new UsageStats(clock).snapshot().totalSinceStart().errorRate()).isEqualTo("0.0%");
    }

    private static String rate(int errors, int successes) {
        UsageStats fresh = new UsageStats(new TestClock());
        for (int i = 0; i < errors; i++) {
            fresh.onRequest(Samples.chat(MINI).error("INTERNAL", 500).build());
        }
        for (int i = 0; i < successes; i++) {
            fresh.onRequest(Samples.chat(MINI).build());
        }
        return fresh.snapshot().sinceStart().get(MINI).errorRate();
    }

    @Test
    void classifiesEachRequestAsOneSuccessOrOneErrorKind() {
        stats.onRequest(Samples.chat(MINI).build());
        stats.onRequest(Samples.chat(MINI).error("QUEUE_FULL", 503).build());
        stats.onRequest(Samples.chat(MINI).status(503).build());
        stats.onRequest(Samples.chat(MINI).status(400).build());
        stats.onRequest(Samples.chat(MINI).abortedAt(Stage.QUEUED, 499).build());
        stats.onRequest(Samples.chat(MINI).stream().abortedAt(Stage.STREAMING, 200).build());
        stats.onRequest(Samples.chat(MINI).stream().abortedAt(Stage.STREAMING, 500).build());
        stats.onRequest(Samples.chat(MINI).error("UPSTREAM_CONNECTION_LOST", 200).stream()
                .abortedAt(Stage.STREAMING, 200).build());

        Usage usage = sinceStart(MINI);
        assertThat(usage.successes()).isEqualTo(1);
        assertThat(usage.errorsByKind()).containsOnly(
                entry("queue_full", 1L),
                entry("upstream_503", 1L),
                entry("upstream_400", 1L),
                entry("upstream_500", 1L),
                entry("client_abort", 2L),
                entry("upstream_connection_lost", 1L));
        assertThat(usage.errors()).isEqualTo(7);
        assertThat(usage.requests()).isEqualTo(8);
    }

    @Test
    void countsUpstream429sByKindButNeverLocalRejections() {
        stats.onRequest(Samples.chat(MINI).error("UPSTREAM_RATE_LIMITED", 429).upstream429("UserByModelByMinute").build());
        stats.onRequest(Samples.chat(MINI).upstream429("UserByModelByDay").build());
        stats.onRequest(Samples.chat(MINI).upstream429("other").build());
        stats.onRequest(Samples.chat(MINI).error("RATE_LIMITED", 429).build());
        stats.onRequest(Samples.chat(MINI).error("IP_FLOOD", 429).build());

        Usage usage = sinceStart(MINI);
        assertThat(usage.upstream429s()).isEqualTo(3);
        assertThat(usage.upstream429ByKind()).containsOnly(
                entry("UserByModelByMinute", 1L), entry("UserByModelByDay", 1L), entry("other", 1L));
        assertThat(usage.errorsByKind()).containsOnly(
                entry("upstream_rate_limited", 1L), entry("upstream_429", 2L),
                entry("rate_limited", 1L), entry("ip_flood", 1L));
    }

    @Test
    void countsStreamsWithTheirTokensAndTimeToFirstToken() {
        stats.onRequest(Samples.chat(MINI).stream().millis(900).ttftMillis(120).upstreamMillis(850)
                .tokens(30, 85).build());
        stats.onRequest(Samples.chat(MINI).stream().millis(400).ttftMillis(80).upstreamMillis(350)
                .tokens(20, 15).estimated().build());

        Usage usage = sinceStart(MINI);
        assertThat(usage.successes()).isEqualTo(2);
        assertThat(usage.promptTokens()).isEqualTo(50);
        assertThat(usage.completionTokens()).isEqualTo(100);
        assertThat(usage.estimatedTokens()).isEqualTo(35);
        assertThat(usage.successTokens()).isEqualTo(150);
        assertThat(usage.ttft().count()).isEqualTo(2);
        assertThat(usage.ttft().p50()).isCloseTo(Duration.ofMillis(80).toNanos(), withinPercentage(0.1));
        assertThat(usage.ttft().p99()).isCloseTo(Duration.ofMillis(120).toNanos(), withinPercentage(0.1));
        assertThat(usage.completionTokensPerSecond()).as("completion tokens / upstream seconds")
                .isCloseTo(100 / 1.2, within(1e-9));
    }

    @Test
    void tokensOfFailedAndAbortedRequestsAreSpentButNotInTheReferenceAverages() {
        stats.onRequest(Samples.chat(MINI).millis(100).tokens(10, 20).build());
        stats.onRequest(Samples.chat(MINI).stream().abortedAt(Stage.STREAMING, 200).tokens(10, 5).estimated()
                .build());

        Usage usage = sinceStart(MINI);
        assertThat(usage.promptTokens()).isEqualTo(20);
        assertThat(usage.completionTokens()).isEqualTo(25);
        assertThat(usage.successTokens()).isEqualTo(30);
        assertThat(usage.avgTokensPerRequest()).isEqualTo(30);
        assertThat(usage.latency().count()).as("latency percentiles are over successes").isEqualTo(1);
    }

    @Test
    void ignoresRequestsWithoutAModel() {
        stats.onRequest(Samples.chat(null).build());

        UsageStats.Snapshot snapshot = stats.snapshot();
        assertThat(snapshot.sinceStart()).isEmpty();
        assertThat(snapshot.totalSinceStart().requests()).isZero();
    }

    @Test
    void keysOnlyLabelSafeModelIdsAndBoundsTheTable() {
        UsageStats small = new UsageStats(clock, 3);
        small.onRequest(Samples.chat("<img src=x onerror=alert(1)>").build());
        small.onRequest(Samples.chat(MINI).build());
        small.onRequest(Samples.chat(GPT4O).build());
        small.onRequest(Samples.chat("meta/llama-3.3-70b-instruct").build());
        small.onRequest(Samples.chat(MINI).build());

        Map<String, Usage> models = small.snapshot().sinceStart();
        assertThat(models).containsOnlyKeys(UsageStats.OTHER, MINI);
        assertThat(models.get(UsageStats.OTHER).requests()).isEqualTo(3);
        assertThat(models.get(MINI).requests()).isEqualTo(2);
        assertThat(small.snapshot().totalSinceStart().requests()).isEqualTo(5);
    }

    @Test
    void percentilesMatchAnIndependentNearestRankCalculation() {
        Random random = new Random(42);
        List<Long> latencies = new ArrayList<>();
        List<Long> ttfts = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            long latency = 1_000_000L + (long) (random.nextGaussian() * 200_000 + 5_000_000) * (1 + random.nextInt(3));
            long ttft = 100_000L + random.nextInt(50_000_000);
            latencies.add(latency);
            ttfts.add(ttft);
            stats.onRequest(Samples.chat(MINI).stream().nanos(latency).ttftNanos(ttft).build());
            clock.advance(Duration.ofMillis(550)); // 500 requests over 275 s: all in the window, < 32 per slot
        }

        // HdrHistogram keeps 3 significant digits: each percentile within 0.1 % of the exact nearest rank
        UsageStats.Snapshot snapshot = stats.snapshot();
        for (Usage usage : List.of(snapshot.sinceStart().get(MINI), snapshot.window().get(MINI))) {
            assertThat(usage.latency().count()).isEqualTo(500);
            assertThat(usage.latency().p50()).isCloseTo(nearestRank(latencies, 0.50), withinPercentage(0.1));
            assertThat(usage.latency().p95()).isCloseTo(nearestRank(latencies, 0.95), withinPercentage(0.1));
            assertThat(usage.latency().p99()).isCloseTo(nearestRank(latencies, 0.99), withinPercentage(0.1));
            assertThat(usage.ttft().p50()).isCloseTo(nearestRank(ttfts, 0.50), withinPercentage(0.1));
            assertThat(usage.ttft().p95()).isCloseTo(nearestRank(ttfts, 0.95), withinPercentage(0.1));
            assertThat(usage.ttft().p99()).isCloseTo(nearestRank(ttfts, 0.99), withinPercentage(0.1));
        }
    }

    /** The smallest value with at least {@code q} of all values at or below it. */
    private static long nearestRank(List<Long> values, double q) {
        List<Long> sorted = values.stream().sorted().toList();
        for (int i = 0; i < sorted.size(); i++) {
            if ((i + 1) >= q * sorted.size() - 1e-9) {
                return sorted.get(i);
            }
        }
        throw new AssertionError("unreachable");
    }

    @Test
    void sinceStartPercentilesCoverEveryRequest() {
        for (int i = 0; i < 500; i++) {
            stats.onRequest(Samples.chat(MINI).millis(10_000).build());
        }
        for (int i = 0; i < 512; i++) {
            stats.onRequest(Samples.chat(MINI).millis(10).build());
        }

        Usage usage = sinceStart(MINI);
        assertThat(usage.successes()).isEqualTo(1012);
        assertThat(usage.latency().count()).isEqualTo(1012);
        assertThat(usage.latency().p50()).isCloseTo(Duration.ofMillis(10).toNanos(), withinPercentage(0.1));
        assertThat(usage.latency().p99()).isCloseTo(Duration.ofMillis(10_000).toNanos(), withinPercentage(0.1));
    }

    @Test
    void theFiveMinuteWindowDropsOlderRequests() {
        // the server aggregates every second; here each request is aggregated in its own minute
        stats.onRequest(Samples.chat(MINI).millis(1000).tokens(1, 1).build());
        stats.aggregate();
        clock.advance(Duration.ofSeconds(200));
        stats.onRequest(Samples.chat(GPT4O).millis(20).tokens(2, 2).build());
        stats.aggregate();
        clock.advance(Duration.ofSeconds(89));

        UsageStats.Snapshot at289 = stats.snapshot();
        assertThat(at289.window()).containsOnlyKeys(MINI, GPT4O);
        assertThat(at289.totalWindow().requests()).isEqualTo(2);

        clock.advance(Duration.ofSeconds(11));
        UsageStats.Snapshot at300 = stats.snapshot();
        assertThat(at300.window()).as("300 s old").containsOnlyKeys(GPT4O);
        assertThat(at300.totalWindow().requests()).isEqualTo(1);
        assertThat(at300.totalWindow().latency().p99()).isCloseTo(Duration.ofMillis(20).toNanos(), withinPercentage(0.1));
        assertThat(at300.totalWindow().promptTokens()).isEqualTo(2);
        assertThat(at300.windowNanos()).isLessThanOrEqualTo(UsageStats.WINDOW.toNanos());
        assertThat(at300.sinceStart()).as("since start keeps everything").containsOnlyKeys(MINI, GPT4O);
        assertThat(at300.totalSinceStart().requests()).isEqualTo(2);
        assertThat(at300.sinceStartNanos()).isEqualTo(Duration.ofSeconds(300).toNanos());

        clock.advance(Duration.ofHours(1));
        UsageStats.Snapshot later = stats.snapshot();
        assertThat(later.window()).isEmpty();
        assertThat(later.totalWindow().requests()).isZero();
        assertThat(later.totalWindow().latency()).isEqualTo(Percentiles.NONE);
        assertThat(later.windowNanos()).as("on a slot boundary the window starts 29 slots back")
                .isEqualTo(Duration.ofSeconds(290).toNanos());

        // Slot 404 takes over the cell of slot 20, which held the GPT-4o request.
        clock.advance(Duration.ofSeconds(140));
        stats.onRequest(Samples.chat(GPT4O).millis(5).build());
        assertThat(stats.snapshot().window().get(GPT4O).requests()).as("a reused slot starts at zero").isEqualTo(1);
        assertThat(stats.snapshot().sinceStart().get(GPT4O).requests()).isEqualTo(2);
    }

    @Test
    void countsStayExactWhileSeveralThreadsRecordAndOneReads() throws Exception {
        AtomicLong nanos = new AtomicLong();
        // Every reading moves time 1 ms on, so the recorders cross slot boundaries together while they race.
        UsageStats shared = new UsageStats(() -> nanos.getAndAdd(1_000_000));
        int threads = 4;
        int perThread = 20_000; // 80 000 readings: 80 s, all within the window
        String[] models = {MINI, GPT4O, "mistral-ai/codestral-2501"};
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        CountDownLatch start = new CountDownLatch(1);
        AtomicBoolean recording = new AtomicBoolean(true);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                writers.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        String model = models[i % models.length];
                        if (i % 10 == 0) {
                            shared.onRequest(Samples.chat(model).error("QUEUE_TIMEOUT", 503).build());
                        } else if (i % 10 == 1) {
                            shared.onRequest(Samples.chat(model).upstream429("UserByModelByMinute").build());
                        } else {
                            shared.onRequest(Samples.chat(model).stream().millis(3).ttftMillis(1).tokens(2, 3).build());
                        }
                    }
                    return null;
                }));
            }
            Future<?> reader = pool.submit(() -> {
                start.await();
                // Bounded: each snapshot reads the clock too, and the test needs every request inside the window.
                for (int reads = 0; reads < 500 && recording.get(); reads++) {
                    UsageStats.Snapshot snapshot = shared.snapshot();
                    assertThat(snapshot.totalSinceStart().requests()).isLessThanOrEqualTo((long) threads * perThread);
                }
                return null;
            });
            start.countDown();
            for (Future<?> writer : writers) {
                writer.get(60, TimeUnit.SECONDS);
            }
            recording.set(false);
            reader.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }

        long total = (long) threads * perThread;
        UsageStats.Snapshot snapshot = shared.snapshot();
        for (Usage usage : List.of(snapshot.totalSinceStart(), snapshot.totalWindow())) {
            assertThat(usage.requests()).isEqualTo(total);
            assertThat(usage.errorsByKind()).containsOnly(
                    entry("queue_timeout", total / 10), entry("upstream_429", total / 10));
            assertThat(usage.upstream429s()).isEqualTo(total / 10);
            assertThat(usage.successes()).isEqualTo(total * 8 / 10);
            assertThat(usage.promptTokens()).isEqualTo(2 * total * 8 / 10);
            assertThat(usage.completionTokens()).isEqualTo(3 * total * 8 / 10);
            assertThat(usage.successNanos()).isEqualTo(3_000_000L * total * 8 / 10);
        }
        long perModelSum = snapshot.sinceStart().values().stream().mapToLong(Usage::requests).sum();
        assertThat(perModelSum).isEqualTo(total);
        assertThat(snapshot.window().values().stream().mapToLong(Usage::requests).sum()).isEqualTo(total);
    }
}
