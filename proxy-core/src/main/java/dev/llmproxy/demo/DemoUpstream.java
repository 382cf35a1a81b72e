package dev.llmproxy.demo;

import dev.llmproxy.config.DemoConfig;
import dev.llmproxy.netty.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Starts and stops the simulated OpenAI-compatible upstream: one listener with an event loop of its own that only
 * accepts, and connections served on one event loop (or as many as asked), so the demo, the tests and the bench get
 * a real HTTP/1.1 server that never shares threads with the proxy. Accepting apart from serving keeps a loop busy
 * with thousands of paced streams from leaving new connections in the kernel's accept queue until it overflows
 * (a dropped handshake looks to a client like a stream that never answers).
 *
 * <p>Threading: {@link #start} and {@link #close} are called from any non-event-loop thread; each connection is
 * served on one of the serving loops, and every paced stream of a loop shares its {@link DemoPacer}.
 */
public final class DemoUpstream implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DemoUpstream.class);
    private static final String LOOPBACK = "127.0.0.1";
    private static final long SHUTDOWN_TIMEOUT_SECONDS = 5;
    /** The accept queue asked for; the kernel caps it at {@code net.core.somaxconn}. */
    static final int BACKLOG = 4096;
    /** The most serving event loops {@link #start(DemoConfig, String, int, int)} takes. */
    public static final int MAX_EVENT_LOOPS = 64;

    private final EventLoopGroup acceptor;
    private final EventLoopGroup group;
    private final Channel serverChannel;
    private final ChannelGroup connections;
    private final AtomicInteger streamsInFlight;
    private final DemoAudioGauges audioGauges;
    private final URI baseUrl;
    private final int port;
    private final AtomicBoolean closed = new AtomicBoolean();

    private DemoUpstream(EventLoopGroup acceptor, EventLoopGroup group, Channel serverChannel, ChannelGroup connections,
                         AtomicInteger streamsInFlight, DemoAudioGauges audioGauges, URI baseUrl, int port) {
        this.acceptor = acceptor;
        this.group = group;
        this.serverChannel = serverChannel;
        this.connections = connections;
        this.streamsInFlight = streamsInFlight;
        this.audioGauges = audioGauges;
        this.baseUrl = baseUrl;
        this.port = port;
    }

    /** The demo's own model list, serving {@link #modelIds()}, on 127.0.0.1 and a free port. */
    public static DemoUpstream start(DemoConfig config) throws InterruptedException {
        return start(config, LOOPBACK, 0);
    }

    /** The demo's own model list on {@code host:port} ({@code port} 0 picks a free one). */
    public static DemoUpstream start(DemoConfig config, String host, int port) throws InterruptedException {
        return start(config, DemoModels.of(DemoModels.DEFAULT), host, port, 1);
    }

    /**
     * The demo's own model list on {@code host:port}, connections served on {@code eventLoops} event loops
     * (1..{@value #MAX_EVENT_LOOPS}): a bench on a machine with more cores than one loop can fill gives the upstream
     * more, so that it outlasts what it is measured through.
     */
    public static DemoUpstream start(DemoConfig config, String host, int port, int eventLoops)
            throws InterruptedException {
        return start(config, DemoModels.of(DemoModels.DEFAULT), host, port, eventLoops);
    }

    /** Serves exactly {@code knownModelIds} (sorted, owned by their {@code publisher/} prefix), on 127.0.0.1. */
    public static DemoUpstream start(DemoConfig config, Set<String> knownModelIds) throws InterruptedException {
        return start(config, knownModelIds, LOOPBACK, 0);
    }

    /** Serves exactly {@code knownModelIds} on {@code host:port}; returns once the listener is bound. */
    public static DemoUpstream start(DemoConfig config, Set<String> knownModelIds, String host, int port)
            throws InterruptedException {
        return start(config, DemoModels.of(Objects.requireNonNull(knownModelIds, "knownModelIds")), host, port, 1);
    }

    /** The ids of the demo's own model list, in listing order. */
    public static List<String> modelIds() {
        return List.copyOf(DemoModels.DEFAULT.keySet());
    }

    private static DemoUpstream start(DemoConfig config, DemoModels models, String host, int port, int eventLoops)
            throws InterruptedException {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(host, "host");
        if (config.tokenDelay() == null || config.tokenDelay().isNegative()) {
            throw new IllegalArgumentException("tokenDelay: " + config.tokenDelay() + " (expected: a duration >= 0)");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
        }
        if (eventLoops < 1 || eventLoops > MAX_EVENT_LOOPS) {
            throw new IllegalArgumentException("eventLoops: " + eventLoops + " (expected: 1.." + MAX_EVENT_LOOPS + ")");
        }
        long tokenDelayNanos = config.tokenDelay().toNanos();

        Transports transport = Transports.best();
        EventLoopGroup acceptor = transport.newGroup(1, "demo-upstream-accept");
        EventLoopGroup group = transport.newGroup(eventLoops, "demo-upstream");
        ChannelGroup connections = new DefaultChannelGroup("demo-upstream-connections", group.next());
        AtomicInteger streamsInFlight = new AtomicInteger();
        DemoAudioGauges audioGauges = new DemoAudioGauges();
        DemoPacers pacers = new DemoPacers();
        // Every generated file is as old as this demo: Last-Modified and If-Modified-Since have something to compare.
        DemoTts tts = new DemoTts(Instant.now());

        ChannelFuture bind = new ServerBootstrap()
                .group(acceptor, group)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, BACKLOG)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // Read the next request only once the previous response is written (see DemoRequestHandler).
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new DemoUpstreamInitializer(models, tokenDelayNanos, connections, streamsInFlight,
                        tts, audioGauges, pacers))
                .bind(host, port)
                .await();
        if (!bind.isSuccess()) {
            acceptor.shutdownGracefully(0, SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            group.shutdownGracefully(0, SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            throw new IllegalStateException("demo upstream: cannot bind " + host + ":" + port, bind.cause());
        }
        InetSocketAddress bound = (InetSocketAddress) bind.channel().localAddress();
        URI baseUrl = URI.create("http://" + urlHost(bound.getAddress()) + ":" + bound.getPort());
        log.info("demo upstream listening on {} ({} models, token delay {} ms, TTS at {}/?text=…, {}, {} event"
                        + " loop{})", baseUrl, models.size(), config.tokenDelay().toMillis(), baseUrl, transport.name(),
                eventLoops, eventLoops == 1 ? "" : "s");
        return new DemoUpstream(acceptor, group, bind.channel(), connections, streamsInFlight, audioGauges, baseUrl,
                bound.getPort());
    }

    /**
     * {@code http://<host>:<port>} without a path: clients call {@code <base>/chat/completions} and so on, and the
     * TTS engine at {@code <base>/?text=…}.
     */
    public URI baseUrl() {
        return baseUrl;
    }

    public int port() {
        return port;
    }

    /** Open client connections; for tests that check a connection really went away. */
    int openConnections() {
        return connections.size();
    }

    /** Chat streams still writing or scheduled; for tests that check a cancelled stream stopped. */
    int streamsInFlight() {
        return streamsInFlight.get();
    }

    /** The TTS engine's audio streams: in flight, bytes written, the largest outbound backlog; for tests. */
    DemoAudioGauges audioGauges() {
        return audioGauges;
    }

    /** Stops listening, closes every connection and the event loop group; waits a bounded time. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        serverChannel.close();
        connections.close();
        acceptor.shutdownGracefully(0, SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        group.shutdownGracefully(0, SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        // Waiting from one of our own threads would wait for ourselves.
        if (!acceptor.next().inEventLoop() && !inServingLoop()) {
            acceptor.terminationFuture().awaitUninterruptibly(SHUTDOWN_TIMEOUT_SECONDS + 1, TimeUnit.SECONDS);
            group.terminationFuture().awaitUninterruptibly(SHUTDOWN_TIMEOUT_SECONDS + 1, TimeUnit.SECONDS);
        }
        log.info("demo upstream on {} stopped", baseUrl);
    }

    private boolean inServingLoop() {
        for (io.netty.util.concurrent.EventExecutor loop : group) {
            if (loop.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    private static String urlHost(InetAddress address) {
        if (address.isAnyLocalAddress()) {
            return LOOPBACK;
        }
        String literal = address.getHostAddress();
        int scope = literal.indexOf('%');
        if (scope >= 0) {
            literal = literal.substring(0, scope);
        }
        return literal.indexOf(':') >= 0 ? "[" + literal + "]" : literal;
    }
}
