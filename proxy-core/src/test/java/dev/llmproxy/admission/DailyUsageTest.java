package dev.llmproxy.admission;

import dev.llmproxy.admission.DailyUsage.Counts;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static java.util.Map.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class DailyUsageTest {
    private static final String MINI = "openai/gpt-4o-mini";
    private static final String GPT4O = "openai/gpt-4o";
    private static final List<String> KNOWN = List.of(MINI, GPT4O);

    private final ManualTime time = ManualTime.at("2025-03-10T21:30:00Z");
    private final DailyUsage usage = new DailyUsage(KNOWN, time.clock());

    @Test
    void countsSuccessesAndErrorsPerModel() {
        usage.record(MINI, false);
        usage.record(MINI, false);
        usage.record(MINI, true);
        usage.record(GPT4O, true);

        assertThat(usage.today(MINI)).isEqualTo(new Counts(2, 1));
        assertThat(usage.today(GPT4O)).isEqualTo(new Counts(0, 1));
        assertThat(usage.today("deepseek/deepseek-r1")).isEqualTo(Counts.ZERO);
    }

    @Test
    void snapshotGivesTheUtcDateTheResetAndTodaysModelsInCatalogOrder() {
        usage.record(GPT4O, false);
        usage.record(MINI, true);

        DailyUsage.Snapshot snapshot = usage.snapshot();

        assertThat(snapshot.date()).isEqualTo(LocalDate.parse("2025-03-10"));
        assertThat(snapshot.resetAt()).isEqualTo(Instant.parse("2025-03-11T00:00:00Z"));
        assertThat(snapshot.hoursUntilReset()).isCloseTo(2.5, within(1e-9));
        assertThat(snapshot.models()).containsExactly(
                entry(MINI, new Counts(0, 1)),
                entry(GPT4O, new Counts(1, 0)));
    }

    @Test
    void countersStartAgainAtUtcMidnight() {
        usage.record(MINI, false);
        usage.record(MINI, true);

        time.advance(Duration.ofMinutes(150).minusMillis(1));
        usage.record(MINI, false);
        assertThat(usage.today(MINI)).isEqualTo(new Counts(2, 1));

        time.advance(Duration.ofMillis(1));
        assertThat(usage.today(MINI)).as("yesterday's counts are not today's").isEqualTo(Counts.ZERO);
        assertThat(usage.snapshot().models()).isEmpty();
        assertThat(usage.snapshot().date()).isEqualTo(LocalDate.parse("2025-03-11"));
        assertThat(usage.snapshot().hoursUntilReset()).isCloseTo(24.0, within(1e-9));

        usage.record(MINI, true);
        assertThat(usage.today(MINI)).isEqualTo(new Counts(0, 1));
    }

    @Test
    void theDayIsTheUtcDateWhateverTheClocksZone() {
        // 21:30 UTC on the 10th is the 11th in Tokyo; the quota day is still the 10th.
        DailyUsage tokyo = new DailyUsage(KNOWN, time.clock(ZoneId.of("Asia/Tokyo")));
        tokyo.record(MINI, false);

        assertThat(tokyo.snapshot().date()).isEqualTo(LocalDate.parse("2025-03-10"));
        assertThat(tokyo.snapshot().resetAt()).isEqualTo(Instant.parse("2025-03-11T00:00:00Z"));
    }

    @Test
    void aWallClockSteppingBackAcrossMidnightKeepsTheCounts() {
        time.advance(Duration.ofMinutes(151)); // 00:01 on the 11th
        usage.record(MINI, false);
        time.stepWallClock(Duration.ofMinutes(-2)); // NTP steps back to 23:59 on the 10th
        usage.record(MINI, false);
        time.advance(Duration.ofMinutes(3)); // 00:02 on the 11th
        usage.record(MINI, true);

        assertThat(usage.today(MINI)).isEqualTo(new Counts(2, 1));
    }

    @Test
    void unknownModelNamesShareOneSlotSoMemoryStaysBounded() {
        for (int i = 0; i < 10_000; i++) {
            usage.record("attacker/model-" + i, i % 2 == 0);
        }
        usage.record((String) null, false);
        usage.record("OpenAI/GPT-4o", false);

        assertThat(usage.snapshot().models()).containsExactly(
                entry(GPT4O, new Counts(1, 0)),
                entry(QuotaTracker.OTHER_MODELS, new Counts(5_001, 5_000)));
    }

    @Test
    void concurrentRecordsAreAllCounted() throws Exception {
        int threads = 8;
        int perThread = 20_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                boolean error = t % 2 == 1;
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        usage.record(MINI, error);
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

        assertThat(usage.today(MINI)).isEqualTo(new Counts(4L * perThread, 4L * perThread));
    }
}
