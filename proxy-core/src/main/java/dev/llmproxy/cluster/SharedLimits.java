package dev.llmproxy.cluster;

import dev.llmproxy.config.RedisConfig;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The limits every replica shares through Redis, started and stopped as one: the connection, the replica's
 * heartbeat (registration and lease renewal), the probe that notices Redis coming back, and what happens then (the
 * scripts are loaded again, usage kept during the outage is added, the replica registers again). Callers use its
 * parts: {@link #buckets()}, {@link #leases()}, {@link #counters()}, {@link #upstreams()}, {@link #quota()},
 * {@link #replicas()}.
 *
 * <p>Exists only when {@code REDIS_URL} is set. Threading: the parts are used from any thread; {@link #start},
 * {@link #awaitConnected} and {@link #close} belong to the thread that starts and stops the proxy (they may block
 * briefly; never call them on an event loop). Close it before shutting down the event loops it was given.
 */
public final class SharedLimits implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SharedLimits.class);

    private final RedisConfig config;
    private final RedisTimings timings;
    private final EventLoopGroup group;
    private final RedisHealth health;
    private final RedisConnector connector;
    private final SharedBuckets buckets;
    private final SharedLeases leases;
    private final SharedCounters counters;
    private final UpstreamSignals upstreams;
    private final QuotaSignals quota;
    private final ReplicaRegistry replicas;
    private final ReplicaTotals totals;
    private final SharedAdmission admission;
    private volatile boolean closed;
    private ScheduledFuture<?> heartbeatTask;
    private ScheduledFuture<?> probeTask;

    private SharedLimits(RedisConfig config, EventLoopGroup group, RedisTimings timings, SharedClock clock,
                         Clock wallClock) {
        this.config = config;
        this.timings = timings;
        this.group = group;
        this.health = new RedisHealth(wallClock);
        this.connector = new RedisConnector(config, timings, group, health);
        RedisKeys keys = new RedisKeys(config.keyPrefix());
        String replicaId = ProcessHandle.current().pid() + "-"
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        this.buckets = new SharedBuckets(connector, health, keys, clock);
        this.leases = new SharedLeases(connector, health, keys, clock, timings, replicaId);
        this.counters = new SharedCounters(connector, health, keys, wallClock);
        this.upstreams = new UpstreamSignals(connector, health, keys, clock);
        this.quota = new QuotaSignals(connector, health, keys, clock);
        this.replicas = new ReplicaRegistry(connector, health, keys, clock, timings, replicaId);
        this.totals = new ReplicaTotals(connector, health, keys, timings, replicaId);
        this.admission = new SharedAdmission(connector, health, keys, clock, wallClock, leases, counters);
        health.onRecovered(this::recovered);
    }

    /**
     * Starts connecting to {@code REDIS_URL} on the proxy's event loops and returns at once; until Redis answers,
     * every call is answered "unavailable". Use {@link #awaitConnected} to give it a moment at start-up.
     *
     * @param group the proxy's I/O event loops (from {@code Transports.best()}); they also run the Redis connection
     */
    public static SharedLimits start(RedisConfig config, EventLoopGroup group) {
        return start(config, group, RedisTimings.withLeaseTtl(config.leaseTtl()), SharedClock.server(), Clock.systemUTC());
    }

    /** {@link #start(RedisConfig, EventLoopGroup)} with other timings and clocks (tests). */
    public static SharedLimits start(RedisConfig config, EventLoopGroup group, RedisTimings timings, SharedClock clock,
                                     Clock wallClock) {
        if (!config.enabled()) {
            throw new IllegalArgumentException("REDIS_URL: (unset) (expected: a Redis URL; without one, limits stay"
                    + " in-process and no SharedLimits is started)");
        }
        SharedLimits limits = new SharedLimits(Objects.requireNonNull(config, "config"),
                Objects.requireNonNull(group, "group"), timings, clock, wallClock);
        limits.begin();
        return limits;
    }

    private void begin() {
        connector.start();
        EventLoop loop = group.next();
        long beat = timings.heartbeatInterval().toMillis();
        long probe = timings.probeInterval().toMillis();
        heartbeatTask = loop.scheduleAtFixedRate(this::heartbeat, beat, beat, TimeUnit.MILLISECONDS);
        probeTask = loop.scheduleAtFixedRate(this::probe, probe, probe, TimeUnit.MILLISECONDS);
    }

    /**
     * Waits up to {@code max} for the first connection; true once connected (whether Redis answers at this very
     * moment is {@link #health()}'s to say). Blocks: start-up thread only.
     */
    public boolean awaitConnected(Duration max) {
        try {
            connector.firstConnect().get(max.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException | ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** A request's limits in one script before its upstream call and one after: what the request path uses. */
    public SharedAdmission admission() {
        return admission;
    }

    public SharedBuckets buckets() {
        return buckets;
    }

    public SharedLeases leases() {
        return leases;
    }

    public SharedCounters counters() {
        return counters;
    }

    public UpstreamSignals upstreams() {
        return upstreams;
    }

    /** What replicas learn from upstream 429s about models' quotas, told to all of them. */
    public QuotaSignals quota() {
        return quota;
    }

    public ReplicaRegistry replicas() {
        return replicas;
    }

    /** Each replica's own totals, for the monitor. */
    public ReplicaTotals totals() {
        return totals;
    }

    public RedisHealth health() {
        return health;
    }

    public RedisConfig config() {
        return config;
    }

    public SharedLimitsStatus status() {
        return new SharedLimitsStatus(health.snapshot(), config.failureMode(), replicas.replicaId(),
                replicas.lastKnownCount(), leases.heldHere(), leases.lostTotal(), counters.pendingUsage(),
                counters.droppedUsage());
    }

    /** Redis answers again (or for the first time): restore what an outage or a Redis restart took away. */
    private void recovered() {
        if (closed) {
            return;
        }
        EventExecutor immediate = ImmediateEventExecutor.INSTANCE;
        for (LuaScript script : LuaScript.ALL) {
            new ScriptLoadCall(health, script).send(connector);
        }
        counters.reconcile();
        replicas.heartbeat(immediate);
        leases.renewAll(immediate);
        quota.recovered();
    }

    private void heartbeat() {
        if (closed) {
            return;
        }
        replicas.heartbeat(ImmediateEventExecutor.INSTANCE);
        leases.renewAll(ImmediateEventExecutor.INSTANCE);
    }

    private void probe() {
        if (!closed && !health.admitsCalls()) {
            new PingCall(health).sendEvenIfDown(connector);
        }
    }

    /** Leaves the replica registry, closes the connection; leases still held expire by themselves. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        heartbeatTask.cancel(false);
        probeTask.cancel(false);
        replicas.deregister().awaitUninterruptibly(config.commandTimeout().toMillis() * 2);
        quota.close();
        connector.close();
        LOG.info("Shared limits closed ({} leases left to expire in Redis)", leases.heldHere());
    }

    /** SCRIPT LOAD: puts a script in Redis's cache before the first EVALSHA needs it. */
    private static final class ScriptLoadCall extends RedisCall<Boolean> {
        private final LuaScript script;

        ScriptLoadCall(RedisHealth health, LuaScript script) {
            super(health, ImmediateEventExecutor.INSTANCE);
            this.script = script;
        }

        @Override
        RedisFuture<?> issue(RedisAsyncCommands<String, String> commands) {
            return commands.scriptLoad(script.source());
        }

        @Override
        Boolean decode(Object reply) {
            if (!script.sha().equals(reply)) {
                LOG.warn("Redis filed script {} as {}, the proxy expected {}; calls fall back to EVAL",
                        script.name(), reply, script.sha());
                return false;
            }
            return true;
        }

        @Override
        Boolean unavailable() {
            return false;
        }
    }

    private static final class PingCall extends RedisCall<Boolean> {
        PingCall(RedisHealth health) {
            super(health, ImmediateEventExecutor.INSTANCE);
        }

        @Override
        RedisFuture<?> issue(RedisAsyncCommands<String, String> commands) {
            return commands.ping();
        }

        @Override
        Boolean decode(Object reply) {
            return "PONG".equals(reply);
        }

        @Override
        Boolean unavailable() {
            return false;
        }
    }
}
