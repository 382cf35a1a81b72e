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
 * The round trip of the admission script on loopback, measured and logged (timing claims belong in the bench: test
 * JVMs run with paranoid leak detection, which records a stack trace per buffer and makes every call several times
 * slower than in production). What it asserts is that every one of thousands of calls,
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

    /**
     * What a request through Redis pays now: one admission script with every check (the client key's rpm and tpm,
     * the day's count, the month's budget and a lease; the upstream's pause, rpm, tpm and lease) and one settling
     * script after it, each call chained from the previous one's listener on one event loop. Run from each loop of
     * the group in turn: each has its own connection, so both should log alike.
     */
    @Test
    void requestAdmissionFromEachEventLoop() throws InterruptedException {
        SharedLimits shared = replicas.start();
        EventExecutor first = replicas.loop();
        EventExecutor second = replicas.loop();
        for (EventExecutor loop : List.of(first, second, first, second)) {
            Histogram micros = new Histogram(3);
            AtomicInteger admitted = new AtomicInteger();
            CountDownLatch done = new CountDownLatch(WARM_UP + CALLS);
            loop.execute(() -> requestNext(shared.admission(), loop, micros, admitted, done));
            assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(admitted).hasValue(WARM_UP + CALLS);
            LOG.info("request admission (10 checks) + settle, one at a time from {} ({}), {} calls: p50 {} us,"
                            + " p90 {} us, p99 {} us", loop == first ? "loop 1" : "loop 2",
                    loopName(loop), CALLS, micros.getValueAtPercentile(50),
                    micros.getValueAtPercentile(90), micros.getValueAtPercentile(99));
        }
    }

    private static String loopName(EventExecutor loop) {
        try {
            return loop.submit(() -> Thread.currentThread().getName()).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return "?";
        }
    }

    private void requestNext(SharedAdmission admission, EventExecutor loop, Histogram micros, AtomicInteger admitted,
                             CountDownLatch done) {
        if (done.getCount() == 0) {
            return;
        }
        RequestChecks checks = admission.checks();
        checks.bucket(BucketSpec.perMinute("client:bench:rpm", 100_000_000, 100_000_000, 1));
        checks.bucket(BucketSpec.perMinute("client:bench:tpm", 1_000_000_000, 1_000_000_000, 0));
        checks.countRequest("client:bench:requests", 0);
        checks.budget("client:bench:tokens", 1_000_000_000_000L);
        int clientLease = checks.lease("client:bench", 1_000);
        checks.pause("upstream:bench");
        checks.bucket(BucketSpec.perMinute("upstream:bench:rpm", 100_000_000, 100_000_000, 1));
        checks.bucket(BucketSpec.perMinute("upstream:bench:tpm", 1_000_000_000, 1_000_000_000, 500));
        int upstreamLease = checks.lease("upstream:bench", 1_000);
        long start = System.nanoTime();
        admission.check(loop, checks).addListener(f -> {
            long elapsed = System.nanoTime() - start;
            CheckResults r = (CheckResults) f.getNow();
            if (done.getCount() <= CALLS) {
                micros.recordValue(elapsed / 1_000);
            }
            if (r.admitted()) {
                admitted.incrementAndGet();
                RequestCharges charges = admission.charges(loop);
                charges.release(r.lease(clientLease));
                charges.release(r.lease(upstreamLease));
                charges.charge(BucketSpec.perMinute("client:bench:tpm", 1_000_000_000, 1_000_000_000, 20));
                charges.add("client:bench:tokens", 20);
                admission.settle(charges);
            }
            done.countDown();
            requestNext(admission, loop, micros, admitted, done);
        });
    }

    private static Future<BucketDecision> admit(SharedBuckets buckets, EventExecutor loop) {
        return buckets.admit(loop, List.of("bench-upstream"), FOUR_BUCKETS);
    }
}
