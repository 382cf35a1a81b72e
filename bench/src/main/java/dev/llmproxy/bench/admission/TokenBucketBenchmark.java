package dev.llmproxy.bench.admission;

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
 * {@link TokenBucket#tryAcquire()} on one bucket shared by 1, 2 and 4 threads: the admitted path (a clock read and a
 * CAS, retried under contention) and the denied path (a clock read, no write).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class TokenBucketBenchmark {

    /** One token per nanosecond: refills faster than any number of threads can take, so every attempt is admitted. */
    private TokenBucket admitting;
    /** One token per 10^6 minutes, taken in setup: every attempt is denied. */
    private TokenBucket denying;

    @Setup
    public void setUp() {
        admitting = new TokenBucket(60_000_000_000d, 1_000_000, NanoClock.system());
        denying = new TokenBucket(0.000_001, 1, NanoClock.system());
        denying.tryAcquire();
    }

    @Benchmark
    @Threads(1)
    public TokenBucket.Decision admitted1Thread() {
        return admitting.tryAcquire();
    }

    @Benchmark
    @Threads(2)
    public TokenBucket.Decision admitted2Threads() {
        return admitting.tryAcquire();
    }

    @Benchmark
    @Threads(4)
    public TokenBucket.Decision admitted4Threads() {
        return admitting.tryAcquire();
    }

    @Benchmark
    @Threads(1)
    public TokenBucket.Decision denied1Thread() {
        return denying.tryAcquire();
    }

    @Benchmark
    @Threads(4)
    public TokenBucket.Decision denied4Threads() {
        return denying.tryAcquire();
    }
}
