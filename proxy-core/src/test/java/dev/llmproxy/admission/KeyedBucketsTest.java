package dev.llmproxy.admission;

import dev.llmproxy.admission.TokenBucket.Decision;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link KeyedBuckets}: one bucket per key, a hard bound on keys, eviction of full buckets, the overflow bucket. */
class KeyedBucketsTest {

    private final FakeNanoClock clock = new FakeNanoClock();

    @Test
    void eachKeyHasItsOwnBucket() {
        KeyedBuckets<String> buckets = new KeyedBuckets<>(5, 2, 100, clock);

        assertThat(buckets.tryAcquire("alice").allowed()).isTrue();
        assertThat(buckets.tryAcquire("alice").allowed()).isTrue();
        assertThat(buckets.tryAcquire("alice").allowed()).isFalse();
        assertThat(buckets.tryAcquire("bob")).isEqualTo(new Decision(true, 2, 1, 0, Duration.ofSeconds(12).toNanos()));
        assertThat(buckets.size()).isEqualTo(2);
    }

    @Test
    void evictsOnlyBucketsThatAreFullAgain() {
        KeyedBuckets<String> buckets = new KeyedBuckets<>(5, 2, 100, clock);
        buckets.tryAcquire("early");
        clock.advance(Duration.ofSeconds(6));
        buckets.tryAcquire("late");

        clock.advance(Duration.ofSeconds(6)); // early is full again (12 s after its one request), late is not
        buckets.evictIdle();
        assertThat(buckets.size()).isEqualTo(1);

        clock.advance(Duration.ofSeconds(6));
        buckets.evictIdle();
        assertThat(buckets.size()).isZero();
    }

    @Test
    void evictionForgetsNothingThatMatters() {
        KeyedBuckets<String> buckets = new KeyedBuckets<>(5, 2, 100, clock);
        buckets.tryAcquire("alice");
        buckets.tryAcquire("alice");
        buckets.evictIdle(); // alice is empty, not idle: kept
        assertThat(buckets.tryAcquire("alice").allowed()).isFalse();
    }

    @Test
    void manyKeysNeverGrowTheMapPastItsBoundAndShareTheOverflowBucket() {
        KeyedBuckets<Integer> buckets = new KeyedBuckets<>(5, 5, 100, clock);

        int allowed = 0;
        for (int key = 0; key < 100_000; key++) {
            if (buckets.tryAcquire(key).allowed()) {
                allowed++;
            }
            assertThat(buckets.size()).isLessThanOrEqualTo(100);
        }

        assertThat(buckets.size()).isEqualTo(100);
        // 100 keys with their own bucket, then 99 900 keys sharing one bucket of burst 5.
        assertThat(allowed).isEqualTo(100 + 5);
        // Keys that have a bucket keep it: key 0 has 4 tokens left.
        assertThat(buckets.tryAcquire(0).remaining()).isEqualTo(3);
    }

    @Test
    void aFullMapMakesRoomInlineOnceBucketsAreIdle() {
        KeyedBuckets<Integer> buckets = new KeyedBuckets<>(5, 5, 10, clock);
        for (int key = 0; key < 10; key++) {
            buckets.tryAcquire(key);
        }
        buckets.tryAcquire(1_000); // overflow
        assertThat(buckets.tryAcquire(1_001).remaining()).isEqualTo(3); // overflow, second token

        clock.advance(Duration.ofSeconds(12)); // every bucket is full again
        Decision fresh = buckets.tryAcquire(1_002);

        assertThat(fresh.remaining()).isEqualTo(4); // its own new bucket, not the overflow one
        assertThat(buckets.size()).isEqualTo(1);
    }

    @Test
    void rejectsNonsenseConfiguration() {
        assertThatThrownBy(() -> new KeyedBuckets<String>(5, 5, 0, clock)).hasMessage("maxKeys: 0 (expected: >= 1)");
        assertThatThrownBy(() -> new KeyedBuckets<String>(-1, 5, 10, clock)).hasMessageContaining("(expected:");
        assertThatThrownBy(() -> new KeyedBuckets<String>(5, 5, 10, clock).tryAcquire(null))
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void admitsExactlyTheBurstPerKeyUnderContentionWhileEvictionRuns() throws Exception {
        int keys = 64;
        int burst = 4;
        // Room for every key (and for racing inserts of the same key), so that no key is sent to the shared overflow.
        KeyedBuckets<Integer> buckets = new KeyedBuckets<>(60, burst, 2 * keys, clock);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            // Each round starts with every bucket full, hence idle: eviction then races with the first take from each
            // bucket. A take charged to a bucket that eviction has already dropped would be lost, and its key would
            // get burst + 1 in that round.
            for (int round = 0; round < 40; round++) {
                AtomicLongArray allowedPerKey = new AtomicLongArray(keys);
                AtomicBoolean evicting = new AtomicBoolean(true);
                CountDownLatch start = new CountDownLatch(1);
                Future<?> evictor = pool.submit(() -> {
                    start.await();
                    while (evicting.get()) {
                        buckets.evictIdle();
                    }
                    return null;
                });
                List<Future<?>> workers = new ArrayList<>();
                for (int t = 0; t < 3; t++) {
                    int offset = t * 7;
                    Callable<Void> worker = () -> {
                        start.await();
                        for (int i = 0; i < keys * burst * 2; i++) {
                            int key = (i + offset) % keys;
                            if (buckets.tryAcquire(key).allowed()) {
                                allowedPerKey.incrementAndGet(key);
                            }
                        }
                        return null;
                    };
                    workers.add(pool.submit(worker));
                }
                start.countDown();
                for (Future<?> worker : workers) {
                    worker.get(30, TimeUnit.SECONDS);
                }
                evicting.set(false);
                evictor.get(30, TimeUnit.SECONDS);

                for (int key = 0; key < keys; key++) {
                    assertThat(allowedPerKey.get(key)).as("round %d, key %d", round, key).isEqualTo(burst);
                }
                clock.advance(Duration.ofSeconds(burst)); // every bucket full again
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(buckets.size()).isLessThanOrEqualTo(2 * keys);
    }
}
