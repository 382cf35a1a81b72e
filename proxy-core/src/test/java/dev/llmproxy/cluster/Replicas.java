package dev.llmproxy.cluster;

import dev.llmproxy.config.RedisConfig;
import dev.llmproxy.config.RedisFailureMode;
import dev.llmproxy.netty.Transports;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Starts {@link SharedLimits} instances the way separate replicas would run them — each with its own connection,
 * all on one Redis — on event loops of the proxy's kind, and closes them all. Each test gets its own key prefix,
 * so tests of one class never see each other's keys. Threading: the test thread.
 */
final class Replicas implements AutoCloseable {

    /** Generous: these machines are shared, and a test that wants a timeout sets its own. */
    static final Duration TIMEOUT = Duration.ofSeconds(2);
    /** Short enough for tests that wait for an expiry in real time. */
    static final RedisTimings TEST_TIMINGS = new RedisTimings(Duration.ofSeconds(1), Duration.ofMillis(200),
            Duration.ofMillis(100), Duration.ofSeconds(15), Duration.ofSeconds(15), Duration.ofSeconds(5));
    /**
     * For tests that drive time with a {@link ManualSharedClock}: the periodic heartbeat (real time) never runs
     * during a test, so only the test renews, and a replica the test stops renewing behaves like a crashed one.
     */
    static final RedisTimings MANUAL_TIMINGS = new RedisTimings(Duration.ofSeconds(1), Duration.ofMillis(200),
            Duration.ofMillis(100), Duration.ofMinutes(10), Duration.ofMinutes(10), Duration.ofMinutes(5));
    private static final AtomicInteger PREFIXES = new AtomicInteger();

    private final EventLoopGroup group = Transports.best().newGroup(2, "test-redis");
    private final List<SharedLimits> started = new ArrayList<>();
    private final String url;
    private final String prefix = "test" + PREFIXES.incrementAndGet() + "-" + System.nanoTime() + ":";

    Replicas(String url) {
        this.url = url;
    }

    RedisConfig config() {
        return config(TIMEOUT);
    }

    RedisConfig config(Duration timeout) {
        return new RedisConfig(Optional.of(url), prefix, timeout, RedisFailureMode.LOCAL);
    }

    /** A replica on Redis's clock, connected. */
    SharedLimits start() {
        return start(SharedClock.server(), TEST_TIMINGS, Clock.systemUTC());
    }

    /** A replica on a hand-driven clock, connected; only the test renews its leases and registration. */
    SharedLimits start(ManualSharedClock clock) {
        return start(clock, MANUAL_TIMINGS, Clock.systemUTC());
    }

    SharedLimits start(SharedClock clock, RedisTimings timings, Clock wallClock) {
        SharedLimits limits = startUnconnected(clock, timings, wallClock);
        assertThat(limits.awaitConnected(Duration.ofSeconds(10))).as("connected to " + url).isTrue();
        return limits;
    }

    /** A replica with its own configuration, connected. */
    SharedLimits startUnconnectedAndWait(RedisConfig config) {
        SharedLimits limits = startUnconnected(config, SharedClock.server(), TEST_TIMINGS, Clock.systemUTC());
        assertThat(limits.awaitConnected(Duration.ofSeconds(10))).as("connected to " + url).isTrue();
        return limits;
    }

    /** A replica that may not reach Redis yet. */
    SharedLimits startUnconnected(SharedClock clock, RedisTimings timings, Clock wallClock) {
        return startUnconnected(config(), clock, timings, wallClock);
    }

    SharedLimits startUnconnected(RedisConfig config, SharedClock clock, RedisTimings timings, Clock wallClock) {
        SharedLimits limits = SharedLimits.start(config, group, timings, clock, wallClock);
        started.add(limits);
        return limits;
    }

    /** An event loop of the kind callers run on, for results to be delivered to. */
    EventExecutor loop() {
        return group.next();
    }

    String prefix() {
        return prefix;
    }

    static <T> T get(Future<T> future) {
        try {
            return future.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("no result within 5 s", e);
        }
    }

    @Override
    public void close() {
        for (SharedLimits limits : started) {
            limits.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
