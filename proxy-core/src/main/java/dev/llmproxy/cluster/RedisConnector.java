package dev.llmproxy.cluster;

import dev.llmproxy.config.RedisConfig;
import dev.llmproxy.netty.Transports;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.metrics.CommandLatencyRecorder;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.DefaultClientResources;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.HashedWheelTimer;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The Lettuce connections to Redis: one per event loop of the proxy, each a channel on that loop, so a request's
 * command is written by the loop that serves the request (no hand-off to another thread) and its reply is read and
 * completed on that same loop (no hand-off back): a round trip costs the two wake-ups Redis's answer needs and no
 * more. Each connection is multiplexed (every call from its loop pipelines on it; Redis runs commands one at a time
 * anyway), reconnected by Lettuce when it drops, and retried here until its first connect succeeds, so a proxy can
 * start before its Redis does.
 *
 * <p>Choices, each so that a request never waits long on Redis:
 * <ul>
 *   <li>every command has the configured timeout ({@link TimeoutOptions}), enforced by a timer whose tick is a tenth
 *       of it (Lettuce's default tick of 100 ms would stretch a 200 ms timeout by half);
 *   <li>while disconnected, commands are rejected at once instead of queued until the timeout;
 *   <li>at most {@value #REQUEST_QUEUE} commands wait for replies per connection, so a stalled Redis cannot grow
 *       memory;
 *   <li>Lettuce's per-command latency recorder is off: the proxy measures what it needs itself.
 * </ul>
 *
 * <p>Threading: {@link #commands} from any thread; {@link #start()} and {@link #close()} from the thread that owns
 * the proxy's lifecycle (close blocks while Lettuce shuts down; never call it on an event loop).
 */
final class RedisConnector implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RedisConnector.class);
    private static final int REQUEST_QUEUE = 16_384;
    private static final Duration FIRST_RETRY = Duration.ofMillis(100);

    private final RedisURI uri;
    private final RedisTimings timings;
    private final RedisHealth health;
    private final HashedWheelTimer timer;
    private final Lane[] lanes;
    private final CompletableFuture<Void> firstConnect = new CompletableFuture<>();
    private volatile boolean closed;

    RedisConnector(RedisConfig config, RedisTimings timings, EventLoopGroup group, RedisHealth health) {
        if (io.lettuce.core.resource.Transports.socketChannelClass() != Transports.best().socketChannel()) {
            throw new IllegalStateException("Lettuce transport: "
                    + io.lettuce.core.resource.Transports.socketChannelClass().getName() + " (expected: "
                    + Transports.best().socketChannel().getName() + ", the proxy's, so it can use the proxy's event"
                    + " loops; is -Dio.lettuce.core.epoll=false set?)");
        }
        this.uri = config.redisUri();
        // the handshake (HELLO, AUTH, SELECT) is part of connecting, off the request path: the connect timeout
        uri.setTimeout(timings.connectTimeout());
        this.timings = timings;
        this.health = health;
        Duration timeout = config.commandTimeout();
        long tickMillis = Math.max(1, Math.min(100, timeout.toMillis() / 10));
        this.timer = new HashedWheelTimer(new DefaultThreadFactory("llm-proxy-redis-timer", true), tickMillis,
                TimeUnit.MILLISECONDS);
        ClientOptions options = ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(REQUEST_QUEUE)
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .socketOptions(SocketOptions.builder()
                        .connectTimeout(timings.connectTimeout())
                        .keepAlive(true)
                        .tcpNoDelay(true)
                        .build())
                .build();
        List<Lane> all = new ArrayList<>();
        for (EventExecutor executor : group) {
            EventLoop loop = (EventLoop) executor;
            ClientResources resources = DefaultClientResources.builder()
                    .eventLoopGroupProvider(new BorrowedEventLoops(loop))
                    .eventExecutorGroup(loop)
                    .timer(timer)
                    .reconnectDelay(Delay.exponential(Duration.ofMillis(50), timings.reconnectMaxDelay(), 2,
                            TimeUnit.MILLISECONDS))
                    .commandLatencyRecorder(CommandLatencyRecorder.disabled())
                    .build();
            RedisClient client = RedisClient.create(resources);
            client.setOptions(options);
            all.add(new Lane(loop, resources, client));
        }
        this.lanes = all.toArray(new Lane[0]);
    }

    /** Starts connecting every loop's connection; returns at once. {@link #firstConnect()} completes with the first. */
    void start() {
        for (Lane lane : lanes) {
            lane.connect();
        }
    }

    /** Completes (never exceptionally) once the first connection is established. */
    CompletableFuture<Void> firstConnect() {
        return firstConnect;
    }

    /**
     * The async commands of {@code executor}'s own connection when it is one of the proxy's loops and connected, else
     * of any connected one; null until a first connect succeeded.
     */
    RedisAsyncCommands<String, String> commands(EventExecutor executor) {
        for (Lane lane : lanes) {
            if (lane.loop == executor) {
                RedisAsyncCommands<String, String> own = lane.commands;
                if (own != null) {
                    return own;
                }
                break;
            }
        }
        return commands();
    }

    /** The async commands of the first connected connection, or null until a first connect succeeded. */
    RedisAsyncCommands<String, String> commands() {
        for (Lane lane : lanes) {
            RedisAsyncCommands<String, String> c = lane.commands;
            if (c != null) {
                return c;
            }
        }
        return null;
    }

    /**
     * Opens one more connection, for subscriptions (a subscribed connection can run no other command); Lettuce
     * reconnects it and subscribes again by itself. Fails when Redis cannot be reached now.
     */
    CompletableFuture<StatefulRedisPubSubConnection<String, String>> connectPubSub() {
        return lanes[0].client.connectPubSubAsync(StringCodec.UTF8, uri).toCompletableFuture();
    }

    /** Closes the connections and the clients; blocks up to a few seconds. */
    @Override
    public void close() {
        closed = true;
        for (Lane lane : lanes) {
            lane.close();
        }
        timer.stop();
    }

    /** One event loop's connection: its Lettuce client (on that loop alone), and the chain of first-connect tries. */
    private final class Lane {
        final EventLoop loop;
        final ClientResources resources;
        final RedisClient client;
        volatile StatefulRedisConnection<String, String> connection;
        volatile RedisAsyncCommands<String, String> commands;
        /** Only touched by the chain of connect attempts, one at a time. */
        private Duration retryDelay = FIRST_RETRY;

        Lane(EventLoop loop, ClientResources resources, RedisClient client) {
            this.loop = loop;
            this.resources = resources;
            this.client = client;
        }

        void connect() {
            if (closed) {
                return;
            }
            client.connectAsync(StringCodec.UTF8, uri).whenComplete((c, failure) -> {
                if (failure != null) {
                    health.failed(failure instanceof java.util.concurrent.CompletionException
                            && failure.getCause() != null ? failure.getCause() : failure);
                    scheduleRetry();
                    return;
                }
                if (closed) {
                    c.closeAsync();
                    return;
                }
                connection = c;
                commands = c.async();
                if (!firstConnect.isDone()) {
                    LOG.info("Connected to Redis at {}", describe(uri));
                }
                health.succeeded();
                firstConnect.complete(null);
            });
        }

        private void scheduleRetry() {
            if (closed) {
                return;
            }
            Duration delay = retryDelay;
            Duration doubled = delay.multipliedBy(2);
            retryDelay = doubled.compareTo(timings.reconnectMaxDelay()) > 0 ? timings.reconnectMaxDelay() : doubled;
            loop.schedule(this::connect, delay.toMillis(), TimeUnit.MILLISECONDS);
        }

        void close() {
            StatefulRedisConnection<String, String> c = connection;
            commands = null;
            if (c != null) {
                c.close();
            }
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            resources.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }

    /** Host and port (or sentinels), never the password. */
    static String describe(RedisURI uri) {
        if (!uri.getSentinels().isEmpty()) {
            StringBuilder sb = new StringBuilder("sentinels ");
            for (RedisURI s : uri.getSentinels()) {
                sb.append(s.getHost()).append(':').append(s.getPort()).append(' ');
            }
            return sb.append("master ").append(uri.getSentinelMasterId()).toString();
        }
        return (uri.isSsl() ? "rediss://" : "redis://") + uri.getHost() + ":" + uri.getPort() + "/" + uri.getDatabase();
    }
}
