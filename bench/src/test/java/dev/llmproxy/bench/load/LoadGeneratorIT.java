package dev.llmproxy.bench.load;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The generator against in-process servers of known behaviour. Assertions are about what the generator counts and
 * records (rates within a tolerance, latencies with generous bounds), never about how fast anything is.
 */
class LoadGeneratorIT {
    private static final String CHAT = "{\"model\":\"m\",\"messages\":[]}";
    private static LoadGenerator generator;

    @BeforeAll
    static void startGenerator() {
        generator = new LoadGenerator(2, null);
    }

    @AfterAll
    static void stopGenerator() {
        generator.close();
    }

    private static RequestSpec chat(TestUpstream upstream) {
        return RequestSpec.post("127.0.0.1", upstream.port(), "/chat/completions", Map.of(), CHAT);
    }

    @Test
    void sendsRateTimesDurationAtAConstantRate() throws Exception {
        try (TestUpstream upstream = TestUpstream.unary(now -> 0)) {
            long start = System.nanoTime();
            LoadResult r = generator.run("rate", chat(upstream), LoadPlan.open(500, Duration.ofSeconds(2), 32)
                    .withThreads(2));
            double seconds = (System.nanoTime() - start) / 1e9;

            assertThat(r.issued).isEqualTo(1000);
            assertThat(r.sent).isEqualTo(1000);
            assertThat(r.ok).isEqualTo(1000);
            assertThat(upstream.requests.get()).isEqualTo(1000);
            assertThat(r.errors()).isZero();
            // Spread over the schedule rather than sent in a burst: the run lasts about its two seconds.
            assertThat(seconds).isBetween(1.9, 6.0);
            assertThat(r.elapsedNanos / 1e9).isBetween(1.9, 2.5);
            assertThat(r.latency.getTotalCount()).isEqualTo(1000);
        }
    }

    @Test
    void aFixedDelayIsTheFloorOfEveryLatency() throws Exception {
        try (TestUpstream upstream = TestUpstream.unary(now -> TimeUnit.MILLISECONDS.toNanos(50))) {
            LoadResult r = generator.run("fixed", chat(upstream), LoadPlan.open(100, Duration.ofSeconds(1), 16));

            assertThat(r.ok).isEqualTo(100);
            assertThat(LoadResult.ms(r.latency, 50)).isGreaterThanOrEqualTo(50.0);
            assertThat(r.latency.getMinValue()).isGreaterThanOrEqualTo(50_000);
        }
    }

    /**
     * The upstream stalls every answer for one second in the middle of a run on one connection. Measured from the
     * actual send (what a closed-loop tool reports) only the request caught in the stall is slow; measured from
     * the intended time, every request that should have gone out during the stall waited for it.
     */
    @Test
    void aStallIsChargedToEveryRequestThatShouldHaveBeenSentDuringIt() throws Exception {
        AtomicLong stallUntil = new AtomicLong();
        long[] startedAt = {0};
        try (TestUpstream upstream = TestUpstream.unary(now -> {
            if (startedAt[0] == 0) {
                startedAt[0] = now;
            }
            if (stallUntil.get() == 0 && now - startedAt[0] > TimeUnit.MILLISECONDS.toNanos(1000)) {
                stallUntil.set(now + TimeUnit.SECONDS.toNanos(1));
            }
            return Math.max(0, stallUntil.get() - now);
        })) {
            LoadResult r = generator.run("stall", chat(upstream), LoadPlan.open(200, Duration.ofSeconds(3), 1)
                    .withPreconnect(1));

            assertThat(r.ok).isEqualTo(600);
            assertThat(r.errors()).isZero();
            // About 200 requests fall into the stalled second; each waits for what is left of it.
            assertThat(r.latency.getCountBetweenValues(100_000, 2_000_000)).isGreaterThan(100);
            assertThat(LoadResult.ms(r.latency, 99)).isGreaterThan(500.0);
            assertThat(LoadResult.ms(r.latency, 90)).isGreaterThan(100.0);
            // Service time alone hides it: one request (or a few) saw the stall.
            assertThat(r.serviceTime.getCountBetweenValues(100_000, 2_000_000)).isLessThan(5);
            assertThat(LoadResult.ms(r.serviceTime, 99)).isLessThan(100.0);
        }
    }

    @Test
    void aCleanStreamRunHasNoLostFrames() throws Exception {
        try (TestUpstream upstream = TestUpstream.streaming(64, 0)) {
            LoadResult r = generator.run("sse", chat(upstream).streamingWith(64),
                    LoadPlan.open(50, Duration.ofSeconds(1), 8));

            assertThat(r.ok).isEqualTo(50);
            assertThat(r.contentEvents).isEqualTo(50 * 64);
            assertThat(r.lostFrames).isZero();
            assertThat(r.extraFrames).isZero();
            assertThat(r.badStreams).isZero();
            assertThat(r.ttft.getTotalCount()).isEqualTo(50);
            assertThat(r.gaps.getTotalCount()).isEqualTo(50 * 63);
        }
    }

    @Test
    void aDroppedFrameIsOneLostFrameInOneBadStream() throws Exception {
        try (TestUpstream upstream = TestUpstream.streaming(64, 7)) {
            LoadResult r = generator.run("sse-drop", chat(upstream).streamingWith(64),
                    LoadPlan.open(50, Duration.ofSeconds(1), 8));

            assertThat(r.lostFrames).isEqualTo(1);
            assertThat(r.badStreams).isEqualTo(1);
            assertThat(r.extraFrames).isZero();
            assertThat(r.ok).isEqualTo(49);
            assertThat(r.errors()).isEqualTo(1);
        }
    }

    @Test
    void closedModeKeepsOneRequestInFlight() throws Exception {
        try (TestUpstream upstream = TestUpstream.unary(now -> TimeUnit.MILLISECONDS.toNanos(10))) {
            LoadResult r = generator.run("closed", chat(upstream),
                    LoadPlan.closed(1, Duration.ofMillis(500), Duration.ZERO));

            assertThat(r.errors()).isZero();
            assertThat(r.connectionsOpened).isEqualTo(1);
            // At most one every 10 ms, one after the other.
            assertThat(r.ok).isBetween(10L, 50L);
        }
    }

    @Test
    void aServerThatIsNotThereIsCountedAsFailedRequests() throws Exception {
        int port;
        try (TestUpstream upstream = TestUpstream.unary(now -> 0)) {
            port = upstream.port();
        }
        RequestSpec spec = RequestSpec.post("127.0.0.1", port, "/", Map.of(), CHAT);
        LoadResult r = generator.run("refused", spec, LoadPlan.open(20, Duration.ofMillis(500), 2)
                .withPreconnect(0));

        assertThat(r.ok).isZero();
        assertThat(r.resets).isEqualTo(10);
    }
}
