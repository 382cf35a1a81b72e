package dev.llmproxy.cluster;

import dev.llmproxy.testing.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.llmproxy.cluster.Replicas.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** What one replica learns from an upstream 429 reaches the others, at once and after they (re)start. */
class QuotaSignalsIT {

    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private final Replicas replicas = new Replicas(REDIS.url());
    private final ManualSharedClock clock = new ManualSharedClock();

    @AfterEach
    void closeReplicas() throws Exception {
        replicas.close();
        if (!REDIS.running()) {
            REDIS.restart();
        }
    }

    private static LearnedQuota pause(String model, Duration d) {
        return new LearnedQuota(LearnedQuota.Kind.PAUSE, model, d.toNanos(), -1);
    }

    @Test
    void everyListeningReplicaHearsThePublisherIncluded() {
        SharedLimits a = replicas.start(clock);
        SharedLimits b = replicas.start(clock);
        List<LearnedQuota> heardByA = new CopyOnWriteArrayList<>();
        List<LearnedQuota> heardByB = new CopyOnWriteArrayList<>();
        a.quota().listen(heardByA::add);
        b.quota().listen(heardByB::add);
        awaitSubscribers(2);

        LearnedQuota learned = pause("openai/gpt-4.1 mini", Duration.ofSeconds(20));
        assertThat(get(a.quota().publish(replicas.loop(), learned))).isEqualTo(2L);

        await().atMost(Duration.ofSeconds(5)).until(() -> heardByB.contains(learned) && heardByA.contains(learned));
    }

    @Test
    void aReplicaThatStartsLaterReadsWhatIsStillInForceOnTheSharedClock() {
        SharedLimits a = replicas.start(clock);
        get(a.quota().publish(replicas.loop(), pause("m", Duration.ofSeconds(30))));
        get(a.quota().publish(replicas.loop(), pause("short", Duration.ofSeconds(2))));
        get(a.quota().publish(replicas.loop(), new LearnedQuota(LearnedQuota.Kind.DAY, "m", Duration.ofHours(3).toNanos(),
                -1)));
        clock.advance(Duration.ofSeconds(10));

        SharedLimits late = replicas.start(clock);
        List<LearnedQuota> heard = new CopyOnWriteArrayList<>();
        late.quota().listen(heard::add);

        await().atMost(Duration.ofSeconds(5)).until(() -> heard.size() >= 2);
        assertThat(heard).containsExactlyInAnyOrder(pause("m", Duration.ofSeconds(20)),
                new LearnedQuota(LearnedQuota.Kind.DAY, "m", Duration.ofHours(3).minusSeconds(10).toNanos(), -1));
        // the expired pause was dropped from the stored state
        assertThat(get(late.quota().inForce(replicas.loop()))).hasSize(2);
    }

    @Test
    void aLongerPauseAndALowerCutInForceAreKept() {
        SharedLimits a = replicas.start(clock);
        SharedLimits b = replicas.start(clock);
        get(a.quota().publish(replicas.loop(), pause("m", Duration.ofSeconds(40))));
        get(b.quota().publish(replicas.loop(), pause("m", Duration.ofSeconds(5))));
        get(a.quota().publish(replicas.loop(), new LearnedQuota(LearnedQuota.Kind.CONCURRENCY, "m",
                Duration.ofSeconds(60).toNanos(), 2)));
        get(b.quota().publish(replicas.loop(), new LearnedQuota(LearnedQuota.Kind.CONCURRENCY, "m",
                Duration.ofSeconds(90).toNanos(), 5)));

        assertThat(get(b.quota().inForce(replicas.loop()))).containsExactlyInAnyOrder(
                pause("m", Duration.ofSeconds(40)),
                new LearnedQuota(LearnedQuota.Kind.CONCURRENCY, "m", Duration.ofSeconds(90).toNanos(), 2));
        clock.advance(Duration.ofSeconds(61));
        // once a cut has lapsed, a higher one starts afresh
        get(b.quota().publish(replicas.loop(), new LearnedQuota(LearnedQuota.Kind.CONCURRENCY, "n",
                Duration.ofSeconds(60).toNanos(), 5)));
        assertThat(get(a.quota().inForce(replicas.loop()))).contains(
                new LearnedQuota(LearnedQuota.Kind.CONCURRENCY, "n", Duration.ofSeconds(60).toNanos(), 5));
    }

    @Test
    void newsPublishedWhileASubscriptionWasDownIsReadWhenItResubscribes() throws Exception {
        SharedLimits a = replicas.start(clock);
        SharedLimits b = replicas.start(clock);
        List<LearnedQuota> heard = new CopyOnWriteArrayList<>();
        b.quota().listen(heard::add);
        awaitSubscribers(1);

        // drop b's subscription and publish before Lettuce has it back (it waits 50 ms before reconnecting)
        LearnedQuota learned;
        long reached;
        int attempt = 0;
        do {
            assertThat(REDIS.command("CLIENT", "KILL", "TYPE", "pubsub")).isEqualTo(":1");
            learned = pause("m" + attempt, Duration.ofSeconds(30));
            reached = get(a.quota().publish(replicas.loop(), learned));
            if (reached != 0) {
                awaitSubscribers(1);
            }
        } while (reached != 0 && ++attempt < 5);
        assertThat(reached).as("published while the subscription was down").isZero();
        LearnedQuota missed = learned;

        await().atMost(Duration.ofSeconds(10)).until(() -> heard.contains(missed));
    }

    @Test
    void aReplicaThatStartedWhileRedisWasAwaySubscribesOnceItIsBack() throws Exception {
        REDIS.kill();
        SharedLimits early = replicas.startUnconnected(SharedClock.server(), Replicas.TEST_TIMINGS,
                java.time.Clock.systemUTC());
        List<LearnedQuota> heard = new CopyOnWriteArrayList<>();
        early.quota().listen(heard::add);

        REDIS.restart();
        SharedLimits other = replicas.start();
        awaitSubscribers(1);
        LearnedQuota learned = pause("m", Duration.ofSeconds(30));
        get(other.quota().publish(replicas.loop(), learned));

        await().atMost(Duration.ofSeconds(10)).until(() -> heard.contains(learned));
    }

    /** Waits until {@code count} replicas listen, asking with a message no replica can read (and so drops). */
    private void awaitSubscribers(long count) {
        await().atMost(Duration.ofSeconds(10)).until(() ->
                REDIS.command("PUBLISH", replicas.prefix() + "learned-quota", "unreadable").equals(":" + count));
    }
}
