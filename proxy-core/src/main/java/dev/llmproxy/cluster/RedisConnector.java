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
import io.netty.channel.EventLoopGroup;
import io.netty.util.HashedWheelTimer;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The one Lettuce connection to Redis: built on the proxy's event loops, multiplexed (every caller pipelines its
 * commands on it; Redis runs commands one at a time anyway, so more connections would add sockets, not throughput),
 * reconnected by Lettuce when it drops, and retried here until the first connect succeeds, so a proxy can start
 * before its Redis does.
 *
 * <p>Choices, each so that a request never waits long on Redis:
 * <ul>
 *   <li>every command has the configured timeout ({@link TimeoutOptions}), enforced by a timer whose tick is a tenth
 *       of it (Lettuce's default tick of 100 ms would stretch a 200 ms timeout by half);
 *   <li>while disconnected, commands are rejected at once instead of queued until the timeout;
 *   <li>at most {@value #REQUEST_QUEUE} commands wait for replies, so a stalled Redis cannot grow memory;
 *   <li>Lettuce's per-command latency recorder is off: the proxy measures what it needs itself.
 * </ul>
 *
 * <p>Threading: {@link #commands()} from any thread; {@link #start()} and {@link #close()} from the thread that owns
 * the proxy's lifecycle (close blocks while Lettuce shuts down; never call it on an event loop).
 */
final class RedisConnector implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RedisConnector.class);
    private static final int REQUEST_QUEUE = 16_384;
    private static final Duration FIRST_RETRY = Duration.ofMillis(100);

    private final RedisURI uri;
    private final RedisTimings timings;
    private final EventLoopGroup group;
    private final RedisHealth health;
    private final HashedWheelTimer timer;
    private final ClientResources resources;
    private final RedisClient client;
    private final CompletableFuture<Void> firstConnect = new CompletableFuture<>();
    private volatile StatefulRedisConnection<String, String> connection;
    private volatile RedisAsyncCommands<String, String> commands;
    private volatile boolean closed;
    /** Only touched by the chain of connect attempts, one at a time. */
    private Duration retryDelay = FIRST_RETRY;

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
        this.group = group;
        this.health = health;
        Duration timeout = config.commandTimeout();
        long tickMillis = Math.max(1, Math.min(100, timeout.toMillis() / 10));
        this.timer = new HashedWheelTimer(new DefaultThreadFactory("llm-proxy-redis-timer", true), tickMillis,
                TimeUnit.MILLISECONDS);
        this.resources = DefaultClientResources.builder()
                .eventLoopGroupProvider(new BorrowedEventLoops(group))
                .eventExecutorGroup(group)
                .timer(timer)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), timings.reconnectMaxDelay(), 2,
                        TimeUnit.MILLISECONDS))
                .commandLatencyRecorder(CommandLatencyRecorder.disabled())
                .build();
        this.client = RedisClient.create(resources);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(REQUEST_QUEUE)
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .socketOptions(SocketOptions.builder()
                        .connectTimeout(timings.connectTimeout())
                        .keepAlive(true)
                        .tcpNoDelay(true)
                        .build())
                .build());
    }

    /** Starts connecting; returns at once. {@link #firstConnect()} completes when a connection is up. */
    void start() {
        connect();
    }

    /** Completes (never exceptionally) once the first connection is established. */
    CompletableFuture<Void> firstConnect() {
        return firstConnect;
    }

    /** The async commands of the connection, or null until the first connect succeeded. */
    RedisAsyncCommands<String, String> commands() {
        return commands;
    }

    /**
     * Opens a second connection for subscriptions (a subscribed connection can run no other command); Lettuce
     * reconnects it and subscribes again by itself. Fails when Redis cannot be reached now.
     */
    CompletableFuture<StatefulRedisPubSubConnection<String, String>> connectPubSub() {
        return client.connectPubSubAsync(StringCodec.UTF8, uri).toCompletableFuture();
    }

    private void connect() {
        if (closed) {
            return;
        }
        client.connectAsync(StringCodec.UTF8, uri).whenComplete((c, failure) -> {
            if (failure != null) {
                health.failed(failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure);
                scheduleRetry();
                return;
            }
            if (closed) {
                c.closeAsync();
                return;
            }
            connection = c;
            commands = c.async();
            LOG.info("Connected to Redis at {}", describe(uri));
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
        group.next().schedule(this::connect, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Closes the connection and the client; blocks up to a few seconds. */
    @Override
    public void close() {
        closed = true;
        StatefulRedisConnection<String, String> c = connection;
        commands = null;
        if (c != null) {
            c.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
        timer.stop();
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
