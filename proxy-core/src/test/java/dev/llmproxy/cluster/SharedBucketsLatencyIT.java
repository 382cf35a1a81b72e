package dev.llmproxy.cluster;

import dev.llmproxy.testing.RedisServer;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The round trip of the admission script on loopback, measured and logged (timing claims belong in the bench; this
 * records what one call costs so the number can be quoted). What it asserts is that every one of thousands of calls,
 * one at a time or many in flight on the one multiplexed connection, is answered and admitted.
 */
class SharedBucketsLatencyIT {

    private static final Logger LOG = LoggerFactory.getLogger(SharedBucketsLatencyIT.class);
    private static final int WARM_UP = 2_000;
    private static final int CALLS = 5_000;
    private static final int IN_FLIGHT = 32;

    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private final Replicas replicas = new Replicas(REDIS.url());

    @AfterEach
    void closeReplicas() {
        replicas.close();
    }

    /** A client's RPM and TPM and an upstream's RPM and TPM, plus the upstream's pause: what a request checks. */
    private static final List<BucketSpec> FOUR_BUCKETS = List.of(
            BucketSpec.perMinute("client:bench:rpm", 100_000_000, 100_000_000, 1),
            BucketSpec.perMinute("client:bench:tpm", 1_000_000_000, 1_000_000_000, 500),
            BucketSpec.perMinute("upstream:bench:rpm", 100_000_000, 100_000_000, 1),
            BucketSpec.perMinute("upstream:bench:tpm", 1_000_000_000, 1_000_000_000, 500));

    @Test
    void oneCallAtATime() {
        SharedBuckets buckets = replicas.start().buckets();
        EventExecutor loop = replicas.loop();
        for (int i = 0; i < WARM_UP; i++) {
            assertThat(Replicas.get(admit(buckets, loop)).allowed()).isTrue();
        }
        Histogram micros = new Histogram(3);
        for (int i = 0; i < CALLS; i++) {
            long start = System.nanoTime();
            BucketDecision d = Replicas.get(admit(buckets, loop));
            micros.recordValue((System.nanoTime() - start) / 1_000);
            assertThat(d.allowed()).isTrue();
        }
        LOG.info("admission script, 4 buckets + 1 pause, one call at a time, {} calls on loopback: p50 {} us,"
                        + " p90 {} us, p99 {} us, max {} us", CALLS, micros.getValueAtPercentile(50),
                micros.getValueAtPercentile(90), micros.getValueAtPercentile(99), micros.getMaxValue());
    }

    @Test
    void manyCallsInFlightOnTheOneConnection() throws InterruptedException {
        SharedBuckets buckets = replicas.start().buckets();
        EventExecutor loop = replicas.loop();
        for (int i = 0; i < WARM_UP; i++) {
            Replicas.get(admit(buckets, loop));
        }
        Histogram micros = new Histogram(3);
        AtomicInteger admitted = new AtomicInteger();
        AtomicInteger sent = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(CALLS);
        long start = System.nanoTime();
        // each completion sends the next call, on the caller's loop, so IN_FLIGHT calls are always outstanding
        loop.execute(() -> {
            for (int i = 0; i < IN_FLIGHT; i++) {
                sendNext(buckets, loop, micros, admitted, sent, done);
            }
        });
        assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
        long elapsedNanos = System.nanoTime() - start;

        assertThat(admitted).hasValue(CALLS);
        LOG.info("admission script, {} in flight on one connection, {} calls: {} calls/s, p50 {} us, p99 {} us",
                IN_FLIGHT, CALLS, CALLS * 1_000_000_000L / elapsedNanos, micros.getValueAtPercentile(50),
                micros.getValueAtPercentile(99));
    }

    private void sendNext(SharedBuckets buckets, EventExecutor loop, Histogram micros, AtomicInteger admitted,
                          AtomicInteger sent, CountDownLatch done) {
        if (sent.incrementAndGet() > CALLS) {
            return;
        }
        long start = System.nanoTime();
        admit(buckets, loop).addListener(f -> {
            // listeners run on the caller's loop: one thread records
            micros.recordValue((System.nanoTime() - start) / 1_000);
            if (((BucketDecision) f.getNow()).allowed()) {
                admitted.incrementAndGet();
            }
            done.countDown();
            sendNext(buckets, loop, micros, admitted, sent, done);
        });
    }

    private static Future<BucketDecision> admit(SharedBuckets buckets, EventExecutor loop) {
        return buckets.admit(loop, List.of("bench-upstream"), FOUR_BUCKETS);
    }
}
