package dev.llmproxy.cluster;

import dev.llmproxy.admission.NanoClock;
import dev.llmproxy.admission.TokenBucket;
import dev.llmproxy.cluster.BucketDecision.Verdict;
import dev.llmproxy.testing.RedisServer;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.llmproxy.cluster.Replicas.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class SharedBucketsIT {

    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private final Replicas replicas = new Replicas(REDIS.url());

    @AfterEach
    void closeReplicas() {
        replicas.close();
    }

    @ParameterizedTest(name = "{0}/min, burst {1}")
    @CsvSource({"10, 3", "7, 1", "600, 20", "1, 5"})
    void admitsExactlyLikeTheInProcessTokenBucketForTheSameArrivals(int perMinute, int burst) {
        ManualSharedClock shared = new ManualSharedClock();
        SharedBuckets buckets = replicas.start(shared).buckets();
        long[] nanos = {0};
        NanoClock local = () -> nanos[0];
        TokenBucket reference = new TokenBucket(perMinute, burst, local);
        BucketSpec spec = BucketSpec.perMinute("gcra-" + perMinute + "-" + burst, perMinute, burst, 1);
        long intervalMicros = 60_000_000L / perMinute;
        Random arrivals = new Random(perMinute * 31L + burst);
        int allowed = 0;
        int denied = 0;

        for (int i = 0; i < 300; i++) {
            long step = (long) (arrivals.nextDouble() * intervalMicros);
            shared.advanceMicros(step);
            nanos[0] += step * 1_000;

            TokenBucket.Decision expected = reference.tryAcquire();
            BucketDecision actual = get(buckets.admit(replicas.loop(), List.of(), List.of(spec)));

            String at = "arrival " + i;
            assertThat(actual.allowed()).as(at).isEqualTo(expected.allowed());
            assertThat(actual.buckets().get(0).remaining()).as(at).isEqualTo(expected.remaining());
            assertThat(actual.buckets().get(0).limit()).as(at).isEqualTo(burst);
            assertThat(actual.retryAfterNanos()).as(at).isCloseTo(expected.retryAfterNanos(), within(1_000L));
            assertThat(actual.buckets().get(0).resetNanos()).as(at).isCloseTo(expected.resetNanos(), within(1_000L));
            if (expected.allowed()) {
                allowed++;
                assertThat(actual.limitingBucket()).isEqualTo(-1);
            } else {
                denied++;
                assertThat(actual.verdict()).isEqualTo(Verdict.LIMITED);
                assertThat(actual.limitingBucket()).isZero();
            }
        }
        // the arrivals come at about twice the rate, so both outcomes are exercised
        assertThat(allowed).isGreaterThan(50);
        assertThat(denied).isGreaterThan(50);
    }

    @Test
    void takesTheCostFromAllBucketsOrFromNone() {
        ManualSharedClock clock = new ManualSharedClock();
        SharedBuckets buckets = replicas.start(clock).buckets();
        BucketSpec rpm = BucketSpec.perMinute("client:a:rpm", 60, 5, 1);
        BucketSpec tpm = BucketSpec.perMinute("client:a:tpm", 1_000, 1_000, 400);

        BucketDecision first = get(buckets.admit(replicas.loop(), List.of(), List.of(rpm, tpm)));
        BucketDecision second = get(buckets.admit(replicas.loop(), List.of(), List.of(rpm, tpm)));
        BucketDecision third = get(buckets.admit(replicas.loop(), List.of(), List.of(rpm, tpm)));

        assertThat(first.allowed()).isTrue();
        assertThat(first.buckets()).extracting(BucketDecision.BucketState::remaining).containsExactly(4L, 600L);
        assertThat(second.allowed()).isTrue();
        assertThat(second.buckets()).extracting(BucketDecision.BucketState::remaining).containsExactly(3L, 200L);
        // 200 tokens left, 400 asked: refused by the TPM bucket, and the RPM bucket keeps its token
        assertThat(third.verdict()).isEqualTo(Verdict.LIMITED);
        assertThat(third.limitingBucket()).isEqualTo(1);
        assertThat(third.buckets()).extracting(BucketDecision.BucketState::remaining).containsExactly(3L, 200L);
        // 200 more tokens take 12 s at 1000 per minute
        assertThat(third.retryAfterNanos()).isEqualTo(Duration.ofSeconds(12).toNanos());

        BucketDecision rpmAlone = get(buckets.admit(replicas.loop(), List.of(), List.of(rpm)));
        assertThat(rpmAlone.buckets().get(0).remaining()).isEqualTo(2);

        clock.advance(Duration.ofSeconds(12));
        assertThat(get(buckets.admit(replicas.loop(), List.of(), List.of(rpm, tpm))).allowed()).isTrue();
    }

    @Test
    void threeReplicasShareOneLimitExactly() throws InterruptedException {
        List<SharedLimits> three = List.of(replicas.start(), replicas.start(), replicas.start());
        BucketSpec spec = BucketSpec.perMinute("client:shared:rpm", 10, 10, 1);
        CountDownLatch go = new CountDownLatch(1);
        List<List<Future<BucketDecision>>> perReplica = new ArrayList<>();
        List<Thread> senders = new ArrayList<>();
        for (SharedLimits replica : three) {
            List<Future<BucketDecision>> mine = new ArrayList<>();
            perReplica.add(mine);
            Thread sender = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 30; i++) {
                    mine.add(replica.buckets().admit(replicas.loop(), List.of(), List.of(spec)));
                }
            });
            sender.start();
            senders.add(sender);
        }
        go.countDown();
        for (Thread sender : senders) {
            sender.join(10_000);
        }

        List<BucketDecision> decisions = perReplica.stream().flatMap(List::stream).map(Replicas::get).toList();
        assertThat(decisions).hasSize(90);
        assertThat(decisions.stream().filter(BucketDecision::allowed).count()).isEqualTo(10);
        assertThat(decisions.stream().filter(d -> d.verdict() == Verdict.LIMITED).count()).isEqualTo(80);
    }

    @Test
    void aPauseSetByOneReplicaRefusesOnEveryReplicaWithoutChargingTheBuckets() {
        ManualSharedClock clock = new ManualSharedClock();
        SharedLimits a = replicas.start(clock);
        SharedLimits b = replicas.start(clock);
        BucketSpec rpm = BucketSpec.perMinute("upstream:openai:rpm", 60, 3, 1);

        assertThat(get(a.upstreams().pause(replicas.loop(), "openai", Duration.ofSeconds(30))))
                .isEqualTo(Duration.ofSeconds(30).toNanos());
        BucketDecision paused = get(b.buckets().admit(replicas.loop(), List.of("openai"), List.of(rpm)));

        assertThat(paused.verdict()).isEqualTo(Verdict.PAUSED);
        assertThat(paused.retryAfterNanos()).isEqualTo(Duration.ofSeconds(30).toNanos());
        assertThat(paused.limitingBucket()).isEqualTo(-1);
        assertThat(paused.buckets().get(0).remaining()).isEqualTo(3);
        // a pause of another upstream does not apply
        assertThat(get(b.buckets().admit(replicas.loop(), List.of("azure"), List.of(rpm))).allowed()).isTrue();

        clock.advance(Duration.ofSeconds(30));
        BucketDecision after = get(b.buckets().admit(replicas.loop(), List.of("openai"), List.of(rpm)));
        assertThat(after.allowed()).isTrue();
        assertThat(after.buckets().get(0).remaining()).isEqualTo(2);
    }

    @Test
    void aCostAboveTheBurstCanNeverPass() {
        SharedBuckets buckets = replicas.start(new ManualSharedClock()).buckets();
        BucketSpec rpm = BucketSpec.perMinute("client:big:rpm", 60, 60, 1);
        BucketSpec tpm = BucketSpec.perMinute("client:big:tpm", 1_000, 1_000, 1_001);

        BucketDecision d = get(buckets.admit(replicas.loop(), List.of(), List.of(rpm, tpm)));

        assertThat(d.verdict()).isEqualTo(Verdict.EXCEEDS_BURST);
        assertThat(d.limitingBucket()).isEqualTo(1);
        assertThat(d.retryAfterNanos()).isZero();
        assertThat(d.buckets()).extracting(BucketDecision.BucketState::remaining).containsExactly(60L, 1_000L);
    }

    @Test
    void chargeSettlesExactUsageIncludingRefundsAndDebt() {
        ManualSharedClock clock = new ManualSharedClock();
        SharedBuckets buckets = replicas.start(clock).buckets();
        BucketSpec estimate = BucketSpec.perMinute("client:c:tpm", 6_000, 1_000, 100);

        assertThat(get(buckets.admit(replicas.loop(), List.of(), List.of(estimate))).buckets().get(0).remaining())
                .isEqualTo(900);
        assertThat(get(buckets.charge(replicas.loop(), List.of(withCost(estimate, 500)))).buckets().get(0).remaining())
                .isEqualTo(400);
        assertThat(get(buckets.charge(replicas.loop(), List.of(withCost(estimate, -200)))).buckets().get(0).remaining())
                .isEqualTo(600);
        // a refund never leaves more than a full bucket
        assertThat(get(buckets.charge(replicas.loop(), List.of(withCost(estimate, -5_000)))).buckets().get(0)
                .remaining()).isEqualTo(1_000);
        // usage beyond the burst leaves a debt: even a check of cost 0 is refused until it is repaid
        BucketDecision debt = get(buckets.charge(replicas.loop(), List.of(withCost(estimate, 1_600))));
        assertThat(debt.allowed()).isTrue();
        assertThat(debt.buckets().get(0).remaining()).isZero();
        BucketDecision check = get(buckets.admit(replicas.loop(), List.of(), List.of(withCost(estimate, 0))));
        assertThat(check.verdict()).isEqualTo(Verdict.LIMITED);
        // 600 tokens over at 100 per second
        assertThat(check.retryAfterNanos()).isEqualTo(Duration.ofSeconds(6).toNanos());
        clock.advance(Duration.ofSeconds(6));
        assertThat(get(buckets.admit(replicas.loop(), List.of(), List.of(withCost(estimate, 0)))).allowed()).isTrue();
    }

    @Test
    void keepsWorkingAfterRedisForgetsItsScripts() throws Exception {
        SharedBuckets buckets = replicas.start(new ManualSharedClock()).buckets();
        BucketSpec rpm = BucketSpec.perMinute("client:flush:rpm", 60, 2, 1);
        assertThat(get(buckets.admit(replicas.loop(), List.of(), List.of(rpm))).allowed()).isTrue();

        assertThat(REDIS.command("SCRIPT", "FLUSH")).isEqualTo("+OK");

        BucketDecision d = get(buckets.admit(replicas.loop(), List.of(), List.of(rpm)));
        assertThat(d.allowed()).isTrue();
        assertThat(d.buckets().get(0).remaining()).isZero();
        assertThat(get(buckets.admit(replicas.loop(), List.of(), List.of(rpm))).verdict()).isEqualTo(Verdict.LIMITED);
    }

    @Test
    void deliversTheResultOnTheCallersEventLoop() throws InterruptedException {
        SharedBuckets buckets = replicas.start().buckets();
        var loop = replicas.loop();
        CountDownLatch done = new CountDownLatch(1);
        AtomicBoolean onLoop = new AtomicBoolean();

        buckets.admit(loop, List.of(), List.of(BucketSpec.perMinute("client:loop:rpm", 60, 60, 1)))
                .addListener(f -> {
                    onLoop.set(loop.inEventLoop());
                    done.countDown();
                });

        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(onLoop).isTrue();
    }

    private static BucketSpec withCost(BucketSpec spec, long cost) {
        return new BucketSpec(spec.name(), spec.rate(), spec.period(), spec.burst(), cost);
    }
}
