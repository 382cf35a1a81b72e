package dev.llmproxy.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scriptable HTTP/1.1 server on {@code 127.0.0.1:0}, optionally TLS with {@link TestCertificates}, that plays a
 * real or broken OpenAI upstream for the proxy under test: each request goes to the current {@link Behavior},
 * which answers, streams, stalls, closes or resets through its {@link Exchange}.
 *
 * <p>Requests are aggregated (bodies up to 16 MiB) and recorded; connections are kept alive unless the request or
 * the scripted response says {@code Connection: close}. Pipelined requests are handed to the behaviour one at a
 * time, each after the previous exchange finished.
 *
 * <p>Threading: one event loop serves every connection. Behaviours run on it and must not block it. Exchange
 * methods may be called from any thread (they hop onto the loop); their futures complete on the loop, so dependent
 * stages there must not block either. Everything else here is thread-safe.
 */
public final class FakeUpstream implements AutoCloseable {

    /** What the fake does with one request. Runs on the event loop; doing nothing at all is a stall. */
    @FunctionalInterface
    public interface Behavior {
        void handle(RecordedRequest request, Exchange exchange);
    }

    /**
     * The fake's side of one request/response. Every action returns a future that completes when its bytes are
     * written (or the connection closed), and fails if the connection is gone. Calling an action out of order
     * (respond twice, sendChunk before startStream) fails its future and is recorded as a script error that makes
     * {@link FakeUpstream#close()} throw.
     */
    public interface Exchange {

        /** A complete response; {@code Content-Length} is always set to the body's length. */
        CompletableFuture<Void> respond(int status, Map<String, String> headers, byte[] body);

        /** A complete {@code application/json} response. */
        CompletableFuture<Void> respondJson(int status, String json);

        /** The response head of a streamed body: chunked, unless {@code headers} give a Content-Length. */
        CompletableFuture<Void> startStream(int status, Map<String, String> headers);

        /** One piece of the streamed body, written and flushed on its own. */
        CompletableFuture<Void> sendChunk(byte[] bytes);

        /** Ends the streamed body (the terminating chunk when chunked). */
        CompletableFuture<Void> end();

        /**
         * Aborts the connection with a TCP RST (SO_LINGER 0, no TLS close_notify), discarding whatever is still
         * unwritten: to reset after some bytes, chain on {@link #sendChunk}'s future.
         */
        CompletableFuture<Void> reset();

        /** Closes the connection gracefully (TLS close_notify, then FIN) after everything already written. */
        CompletableFuture<Void> close();

        /**
         * Completes when the other side (the proxy) closes this connection or resets it; fails if the fake closed
         * it itself, or the fake shut down.
         */
        CompletableFuture<Void> clientClosed();

        /** Runs {@code action} on this connection's event loop after {@code delay}; for scripts with pauses. */
        void after(Duration delay, Runnable action);
    }

    private static final int MAX_REQUEST_BODY_BYTES = 16 * 1024 * 1024;
    private static final String UNSCRIPTED_BODY = "{\"error\":{\"message\":\"FakeUpstream: no behavior scripted\","
            + "\"type\":\"fake_upstream\",\"param\":null,\"code\":null}}";

    private final boolean tls;
    private final EventLoopGroup group;
    private final ChannelGroup connections;
    private final Channel serverChannel;
    private final URI baseUrl;

    private volatile Behavior behavior = json(500, UNSCRIPTED_BODY);
    private volatile byte[] modelList = listBody(dev.llmproxy.openai.ModelCatalog.bundled().models().stream()
            .map(dev.llmproxy.openai.CatalogModel::id).toList());
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final BlockingQueue<RecordedRequest> unawaited = new LinkedBlockingQueue<>();
    private final List<Throwable> scriptErrors = new CopyOnWriteArrayList<>();
    private final AtomicInteger connectionIds = new AtomicInteger();
    private final AtomicInteger connectionsOpened = new AtomicInteger();
    private final AtomicInteger openConnections = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();

    private FakeUpstream(boolean tls) {
        this.tls = tls;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("fake-upstream", true),
                NioIoHandler.newFactory());
        // Shutting the loop down does not close its channels; close() closes them through this group.
        this.connections = new DefaultChannelGroup("fake-upstream-connections", group.next());
        try {
            this.serverChannel = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            connections.add(channel);
                            ChannelPipeline pipeline = channel.pipeline();
                            if (tls) {
                                pipeline.addLast("tls", TestCertificates.serverSslContext().newHandler(channel.alloc()));
                            }
                            pipeline.addLast("http-codec", new HttpServerCodec());
                            pipeline.addLast("aggregator", new HttpObjectAggregator(MAX_REQUEST_BODY_BYTES));
                            pipeline.addLast("fake-upstream",
                                    new FakeUpstreamHandler(FakeUpstream.this));
                        }
                    })
                    .bind("127.0.0.1", 0).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
        int port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
        // TLS clients verify the name, and the certificate's DNS SAN is localhost.
        this.baseUrl = URI.create(tls ? "https://localhost:" + port : "http://127.0.0.1:" + port);
    }

    /** Starts a fake listening on a free loopback port; with {@code tls} it serves {@link TestCertificates}. */
    public static FakeUpstream start(boolean tls) {
        return new FakeUpstream(tls);
    }

    /** {@code https://localhost:<port>} with TLS, else {@code http://127.0.0.1:<port>}; no trailing slash. */
    public URI baseUrl() {
        return baseUrl;
    }

    public int port() {
        return baseUrl.getPort();
    }

    public boolean tls() {
        return tls;
    }

    /** Sets the behaviour for requests dispatched from now on. Until set, every request gets a 500. */
    public void handler(Behavior behavior) {
        this.behavior = Objects.requireNonNull(behavior, "behavior");
    }

    /** Every request received so far, in arrival order. */
    public List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    /**
     * The oldest request not yet returned by this method, waiting up to {@code timeout} for it to arrive.
     * Throws AssertionError if none arrives in time.
     */
    public RecordedRequest awaitRequest(Duration timeout) {
        try {
            RecordedRequest request = unawaited.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (request == null) {
                throw new AssertionError("FakeUpstream received no request within " + timeout
                        + " (received so far: " + requests + ")");
            }
            return request;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while awaiting a request", e);
        }
    }

    /** Connections accepted since start. */
    public int connectionsOpened() {
        return connectionsOpened.get();
    }

    /** Connections accepted and not yet closed. */
    public int openConnections() {
        return openConnections.get();
    }

    /** Behaviours that threw and exchange actions called out of order, so far. */
    public List<Throwable> scriptErrors() {
        return List.copyOf(scriptErrors);
    }

    /**
     * Stops listening, closes every connection and waits for the event loop to end. Then throws AssertionError
     * if a script error was recorded, so that a broken script fails the test instead of just misbehaving.
     * Blocks: call it from the test thread, never from a behaviour.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        serverChannel.close().syncUninterruptibly();
        connections.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        if (!scriptErrors.isEmpty()) {
            AssertionError failure = new AssertionError("FakeUpstream script error(s): " + scriptErrors);
            scriptErrors.forEach(failure::addSuppressed);
            throw failure;
        }
    }

    /** A non-stream chat completion whose one choice says {@code content}, with usage 3 + 2. */
    public static String chatCompletion(String content) {
        return "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":" + dev.llmproxy.openai.Json.MAPPER.valueToTree(content)
                + "},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}";
    }

    /** Answers every request with {@code status} and the JSON {@code body}. */
    public static Behavior json(int status, String body) {
        return (request, exchange) -> exchange.respondJson(status, body);
    }

    /**
     * Answers every request with a 200 {@code text/event-stream} whose body is {@code chunks}, byte for byte, each
     * written and flushed on its own: the first right after the head, each next one {@code gap} after the previous
     * write completed; then the terminating chunk. Stops if the connection goes away.
     */
    public static Behavior sse(List<byte[]> chunks, Duration gap) {
        List<byte[]> copies = chunks.stream().map(byte[]::clone).toList();
        return (request, exchange) -> exchange
                .startStream(200, Map.of("content-type", "text/event-stream", "cache-control", "no-cache"))
                .thenRun(() -> streamFrom(exchange, copies, 0, gap));
    }

    /** The bytes of one SSE event, {@code data: <payload>\n\n}; for building {@link #sse} chunks. */
    public static byte[] sseEvent(String data) {
        return ("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    private static void streamFrom(Exchange exchange, List<byte[]> chunks, int index, Duration gap) {
        if (index == chunks.size()) {
            exchange.end();
            return;
        }
        exchange.sendChunk(chunks.get(index)).thenRun(() -> {
            if (index + 1 == chunks.size()) {
                exchange.end();
            } else {
                exchange.after(gap, () -> streamFrom(exchange, chunks, index + 1, gap));
            }
        });
    }

    // Callbacks from the connection handlers, on the event loop.

    Behavior behavior() {
        return behavior;
    }

    boolean closing() {
        return closed.get();
    }

    /**
     * What the fake answers to {@code GET /models} (and {@code /v1/models}) by itself, without recording it as a
     * request: {@code ids} in OpenAI's list shape. By default the 58 ids of GitHub's bundled catalog; null makes such
     * a request an ordinary scripted one.
     */
    public void listModels(List<String> ids) {
        modelList = ids == null ? null : listBody(ids);
    }

    byte[] modelListBody() {
        return modelList;
    }

    private static byte[] listBody(List<String> ids) {
        com.fasterxml.jackson.databind.node.ObjectNode list = dev.llmproxy.openai.Json.object();
        list.put("object", "list");
        com.fasterxml.jackson.databind.node.ArrayNode data = list.putArray("data");
        for (String id : ids) {
            data.addObject().put("id", id).put("object", "model").put("created", 1).put("owned_by",
                    id.contains("/") ? id.substring(0, id.indexOf('/')) : "fake");
        }
        return dev.llmproxy.openai.Json.bytes(list);
    }

    void recordRequest(RecordedRequest request) {
        requests.add(request);
        unawaited.add(request);
    }

    void recordScriptError(Throwable error) {
        scriptErrors.add(error);
    }

    void connectionOpened() {
        connectionsOpened.incrementAndGet();
        openConnections.incrementAndGet();
    }

    /** A connection that only served the model list: not one a test counts. */
    void connectionUncounted() {
        connectionsOpened.decrementAndGet();
        openConnections.decrementAndGet();
    }

    /** The number of a connection that carries its first scripted request (1, 2, …). */
    int nextConnectionId() {
        return connectionIds.incrementAndGet();
    }

    void connectionClosed() {
        openConnections.decrementAndGet();
    }
}
