package dev.llmproxy.bench.admission;

import dev.llmproxy.admission.KeyedBuckets;
import dev.llmproxy.admission.NanoClock;
import dev.llmproxy.admission.TokenBucket;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

import java.util.concurrent.TimeUnit;

/**
 * {@link KeyedBuckets#tryAcquire} as the proxy calls it per request: a lookup of an existing key (1024 client keys,
 * from 1 and 4 threads), and the degraded path of a new key arriving when the map is full of busy buckets.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class KeyedBucketsBenchmark {

    private static final int KEYS = 1024;

    private final String[] known = new String[KEYS];
    private final String[] strangers = new String[KEYS];
    /** Refills faster than it is drained: every lookup ends in an admitted CAS. */
    private KeyedBuckets<String> admitting;
    /** Full of buckets that stay busy for the whole run: every stranger goes to the overflow bucket. */
    private KeyedBuckets<String> full;

    @Setup
    public void setUp() {
        admitting = new KeyedBuckets<>(60_000_000_000d, 1_000_000, 4 * KEYS, NanoClock.system());
        full = new KeyedBuckets<>(0.000_001, 1, KEYS, NanoClock.system());
        for (int i = 0; i < KEYS; i++) {
            known[i] = "sk-client-" + i + ":openai/gpt-4o-mini";
            strangers[i] = "sk-stranger-" + i + ":openai/gpt-4o-mini";
            admitting.tryAcquire(known[i]);
            full.tryAcquire(known[i]);
        }
    }

    @State(Scope.Thread)
    public static class Cursor {
        int next;

        int advance() {
            return next++ & (KEYS - 1);
        }
    }

    @Benchmark
    @Threads(1)
    public TokenBucket.Decision existingKey1Thread(Cursor cursor) {
        return admitting.tryAcquire(known[cursor.advance()]);
    }

    @Benchmark
    @Threads(4)
    public TokenBucket.Decision existingKey4Threads(Cursor cursor) {
        return admitting.tryAcquire(known[cursor.advance()]);
    }

    @Benchmark
    @Threads(1)
    public TokenBucket.Decision newKeyIntoFullMap1Thread(Cursor cursor) {
        return full.tryAcquire(strangers[cursor.advance()]);
    }
}
