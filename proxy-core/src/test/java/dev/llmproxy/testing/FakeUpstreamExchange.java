package dev.llmproxy.testing;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The {@link FakeUpstream.Exchange} of one request: turns a script's actions into HTTP objects on its connection
 * and enforces their order (one head, then a body, then the end).
 *
 * <p>Threading: callable from any thread. Each action runs on the connection's event loop (directly when already
 * there), and the state is confined to that loop. Response buffers are created there too, so an action that
 * never runs allocates nothing.
 */
final class FakeUpstreamExchange implements FakeUpstream.Exchange {

    private enum State { IDLE, STREAMING, DONE, ABORTED }

    private final FakeUpstreamHandler connection;
    private final RecordedRequest request;
    private final boolean requestKeepAlive;
    private final EventLoop loop;

    private State state = State.IDLE;
    private boolean closeAfter;

    FakeUpstreamExchange(FakeUpstreamHandler connection, RecordedRequest request, boolean requestKeepAlive) {
        this.connection = connection;
        this.request = request;
        this.requestKeepAlive = requestKeepAlive;
        this.loop = connection.eventLoop();
    }

    @Override
    public CompletableFuture<Void> respond(int status, Map<String, String> headers, byte[] body) {
        Map<String, String> headerCopy = new LinkedHashMap<>(headers);
        byte[] bodyCopy = body.clone();
        return onLoop("respond", promise -> {
            expect(State.IDLE, "respond");
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(status), Unpooled.wrappedBuffer(bodyCopy));
            headerCopy.forEach(response.headers()::set);
            HttpUtil.setContentLength(response, bodyCopy.length);
            decideKeepAlive(response);
            state = State.DONE;
            completeWith(connection.write(response), promise);
            connection.exchangeDone(this, closeAfter);
        });
    }

    @Override
    public CompletableFuture<Void> respondJson(int status, String json) {
        return respond(status, Map.of("content-type", "application/json"), json.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public CompletableFuture<Void> startStream(int status, Map<String, String> headers) {
        Map<String, String> headerCopy = new LinkedHashMap<>(headers);
        return onLoop("startStream", promise -> {
            expect(State.IDLE, "startStream");
            HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
            headerCopy.forEach(response.headers()::set);
            if (!response.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
                HttpUtil.setTransferEncodingChunked(response, true);
            }
            decideKeepAlive(response);
            state = State.STREAMING;
            completeWith(connection.write(response), promise);
        });
    }

    @Override
    public CompletableFuture<Void> sendChunk(byte[] bytes) {
        byte[] copy = bytes.clone();
        return onLoop("sendChunk", promise -> {
            expect(State.STREAMING, "sendChunk");
            completeWith(connection.write(new DefaultHttpContent(Unpooled.wrappedBuffer(copy))), promise);
        });
    }

    @Override
    public CompletableFuture<Void> end() {
        return onLoop("end", promise -> {
            expect(State.STREAMING, "end");
            state = State.DONE;
            completeWith(connection.write(LastHttpContent.EMPTY_LAST_CONTENT), promise);
            connection.exchangeDone(this, closeAfter);
        });
    }

    @Override
    public CompletableFuture<Void> reset() {
        return onLoop("reset", promise -> {
            state = State.ABORTED;
            completeWith(connection.reset(), promise);
        });
    }

    @Override
    public CompletableFuture<Void> close() {
        return onLoop("close", promise -> {
            state = State.ABORTED;
            completeWith(connection.closeGracefully(), promise);
        });
    }

    @Override
    public CompletableFuture<Void> clientClosed() {
        // A copy, so a script cannot complete the connection's own future.
        return connection.clientClosed().copy();
    }

    @Override
    public void after(Duration delay, Runnable action) {
        try {
            loop.schedule(() -> {
                try {
                    action.run();
                } catch (Throwable t) {
                    connection.upstream().recordScriptError(
                            new AssertionError("scheduled action threw on " + request + ": " + t, t));
                }
            }, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // The fake is shutting down; the action would have nothing to act on.
        }
    }

    /** The behaviour threw: answer 500 if nothing was sent yet, else cut the connection. */
    void abandon(Throwable cause) {
        if (state == State.IDLE) {
            respond(500, Map.of("content-type", "text/plain"),
                    ("FakeUpstream behavior threw: " + cause).getBytes(StandardCharsets.UTF_8));
        } else if (state == State.STREAMING) {
            reset();
        }
    }

    private void decideKeepAlive(HttpResponse response) {
        if (!requestKeepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        closeAfter = !requestKeepAlive
                || response.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true);
    }

    private void expect(State expected, String action) {
        if (state != expected) {
            throw new IllegalStateException(action + " on " + request + " while the exchange is "
                    + state.name().toLowerCase() + " (expected: " + expected.name().toLowerCase() + ")");
        }
    }

    private CompletableFuture<Void> onLoop(String action, Consumer<CompletableFuture<Void>> body) {
        CompletableFuture<Void> promise = new CompletableFuture<>();
        Runnable task = () -> {
            try {
                body.accept(promise);
            } catch (IllegalStateException e) {
                connection.upstream().recordScriptError(e);
                promise.completeExceptionally(e);
            } catch (RuntimeException e) {
                promise.completeExceptionally(e);
            }
        };
        if (loop.inEventLoop()) {
            task.run();
        } else {
            try {
                loop.execute(task);
            } catch (RejectedExecutionException e) {
                promise.completeExceptionally(new IllegalStateException(action + ": the FakeUpstream is closed", e));
            }
        }
        return promise;
    }

    private static void completeWith(ChannelFuture future, CompletableFuture<Void> promise) {
        future.addListener(done -> {
            if (done.isSuccess()) {
                promise.complete(null);
            } else {
                promise.completeExceptionally(done.cause());
            }
        });
    }
}
