package dev.llmproxy.cluster;

import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * What one replica learns from an upstream's 429 about a model's quota — a model paused, every model paused, a daily
 * quota gone, a concurrency cut ({@link LearnedQuota}) — told to every replica the moment it is learned, so no replica
 * keeps spending calls the upstream has already refused to another. One script stores it (its end on Redis's clock)
 * and publishes it on a channel in the same step; every replica listens on that channel over a second, subscribed
 * connection and hands each message to its admission. A replica that starts, or whose subscription was down
 * (Lettuce subscribes again on reconnect), first reads what is still in force, so news published meanwhile is not
 * lost; news learned while Redis is away stays with the replica that learned it.
 *
 * <p>Threading: {@link #publish} from any thread; the listener runs on the subscription's event loop (one of the
 * proxy's), so it must be quick and thread-safe. {@link #close} on the thread that stops the proxy.
 */
public final class QuotaSignals extends RedisPubSubAdapter<String, String> {

    private static final Logger LOG = LoggerFactory.getLogger(QuotaSignals.class);

    private final RedisConnector connector;
    private final RedisHealth health;
    private final SharedClock clock;
    private final String stateKey;
    private final String channel;
    private final AtomicBoolean subscribing = new AtomicBoolean();
    private volatile Consumer<LearnedQuota> listener;
    private volatile StatefulRedisPubSubConnection<String, String> subscription;
    private volatile boolean closed;

    QuotaSignals(RedisConnector connector, RedisHealth health, RedisKeys keys, SharedClock clock) {
        this.connector = connector;
        this.health = health;
        this.clock = clock;
        this.stateKey = keys.learnedQuota();
        this.channel = keys.learnedQuotaChannel();
    }

    /**
     * Stores {@code learned} (keeping a longer pause or a lower cut already in force) and tells every listening
     * replica, this one included. Fire and forget: while Redis is away the news stays with this replica.
     *
     * @param executor the caller's event loop: the script goes on its connection, the answer comes back there
     * @return how many replicas heard it; -1 if Redis did not answer
     */
    public Future<Long> publish(EventExecutor executor, LearnedQuota learned) {
        String[] k = {stateKey};
        String[] a = {Long.toString(clock.nowMicros()), channel, learned.kind().wire(), learned.model(),
                Long.toString(Math.max(1, TimeUnit.NANOSECONDS.toMicros(learned.nanos()))),
                Integer.toString(learned.limit())};
        return new ScriptCall<Long>(health, executor, LuaScript.QUOTA_LEARN, k, a) {
            @Override
            Long decode(Object reply) {
                return (Long) reply;
            }

            @Override
            Long unavailable() {
                return -1L;
            }
        }.send(connector);
    }

    /**
     * Starts listening: every replica's news from now on, and what is in force already, go to {@code listener}.
     * Called once, at start-up.
     */
    public void listen(Consumer<LearnedQuota> listener) {
        if (this.listener != null) {
            throw new IllegalStateException("listen: called twice (expected: once, at start-up)");
        }
        this.listener = Objects.requireNonNull(listener, "listener");
        subscribe();
    }

    /** What is in force now, as stored; empty if Redis did not answer. */
    public Future<List<LearnedQuota>> inForce(EventExecutor executor) {
        String[] k = {stateKey};
        String[] a = {Long.toString(clock.nowMicros())};
        return new ScriptCall<List<LearnedQuota>>(health, executor, LuaScript.QUOTA_READ, k, a) {
            @Override
            List<LearnedQuota> decode(Object reply) {
                List<?> lines = (List<?>) reply;
                List<LearnedQuota> all = new ArrayList<>(lines.size());
                for (Object line : lines) {
                    LearnedQuota q = LearnedQuota.parse((String) line);
                    if (q != null) {
                        all.add(q);
                    }
                }
                return all;
            }

            @Override
            List<LearnedQuota> unavailable() {
                return List.of();
            }
        }.send(connector);
    }

    /** Redis answers again: subscribe if the subscription never came up, and catch up on what was missed. */
    void recovered() {
        if (subscription == null) {
            subscribe();
        } else {
            catchUp();
        }
    }

    private void subscribe() {
        if (closed || listener == null || subscription != null || !subscribing.compareAndSet(false, true)) {
            return;
        }
        connector.connectPubSub().whenComplete((connection, failure) -> {
            subscribing.set(false);
            if (failure != null) {
                LOG.debug("Redis subscription for learned quota not up yet: {}", failure.toString());
                return; // tried again when Redis is seen to answer (recovered)
            }
            if (closed) {
                connection.closeAsync();
                return;
            }
            connection.addListener(this);
            subscription = connection;
            connection.async().subscribe(channel);
        });
    }

    /** Subscribed, first or again after a reconnect: read what is in force, in case news came meanwhile. */
    @Override
    public void subscribed(String channel, long count) {
        catchUp();
    }

    @Override
    public void message(String channel, String message) {
        deliver(LearnedQuota.parse(message));
    }

    private void catchUp() {
        inForce(ImmediateEventExecutor.INSTANCE).addListener(f -> {
            @SuppressWarnings("unchecked")
            List<LearnedQuota> all = (List<LearnedQuota>) f.getNow();
            for (LearnedQuota q : all) {
                deliver(q);
            }
        });
    }

    private void deliver(LearnedQuota learned) {
        Consumer<LearnedQuota> l = listener;
        if (learned != null && l != null && !closed) {
            l.accept(learned);
        }
    }

    /** Closes the subscription; blocks briefly. */
    void close() {
        closed = true;
        StatefulRedisPubSubConnection<String, String> c = subscription;
        subscription = null;
        if (c != null) {
            c.close();
        }
    }
}
