package dev.llmproxy.testing;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;

/**
 * One {@link FakeUpstream} connection: records each aggregated request, hands requests to the behaviour one
 * exchange at a time (pipelined ones wait their turn), writes what the exchange asks for, and tells whether the
 * connection ended from the other side.
 *
 * <p>Threading: every method runs on the connection's event loop; {@link FakeUpstreamExchange} hops there first.
 * The request is copied into a {@link RecordedRequest} and released by {@link SimpleChannelInboundHandler}, so no
 * buffer outlives {@code channelRead}.
 */
final class FakeUpstreamHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    /** Whether this connection counts as opened (not one that only carried the model list). */
    private boolean counted;

    private record Pending(RecordedRequest request, boolean keepAlive) {
    }

    private final FakeUpstream upstream;
    /** Numbered once the connection carries a scripted request, 1 for the first such connection. */
    private int connectionId;
    private final CompletableFuture<Void> clientClosed = new CompletableFuture<>();
    private final Queue<Pending> pending = new ArrayDeque<>();

    private ChannelHandlerContext ctx;
    private FakeUpstreamExchange current;
    private ChannelFuture lastWrite;
    private boolean closedByFake;

    FakeUpstreamHandler(FakeUpstream upstream) {
        this.upstream = upstream;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        upstream.connectionOpened();
        counted = true;
        ctx.fireChannelActive();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        byte[] list = upstream.modelListBody();
        if (list != null && current == null && pending.isEmpty() && request.method().name().equals("GET")
                && (request.uri().equals("/models") || request.uri().endsWith("/v1/models"))) {
            // a real OpenAI-compatible server lists its models; the proxy asks at start-up (not a scripted request)
            FullHttpResponse answer = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(list));
            answer.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, list.length);
            ctx.writeAndFlush(answer);
            if (counted && connectionId == 0) {
                counted = false; // the proxy's model-list request is not a connection a test counts
                upstream.connectionUncounted();
            }
            return;
        }
        if (!counted) {
            counted = true;
            upstream.connectionOpened();
        }
        if (connectionId == 0) {
            connectionId = upstream.nextConnectionId();
        }
        RecordedRequest recorded = new RecordedRequest(request.method().name(), request.uri(), request.headers(),
                ByteBufUtil.getBytes(request.content()), connectionId);
        upstream.recordRequest(recorded);
        if (request.decoderResult().isFailure()) {
            rejectMalformed(request.decoderResult().cause());
            return;
        }
        pending.add(new Pending(recorded, HttpUtil.isKeepAlive(request)));
        if (current == null) {
            dispatchNext();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (counted) {
            upstream.connectionClosed();
        }
        pending.clear();
        current = null;
        if (closedByFake) {
            clientClosed.completeExceptionally(
                    new IllegalStateException("connection " + connectionId + " was closed by the FakeUpstream itself "
                            + "(script close/reset, a Connection: close exchange, or a malformed request)"));
        } else if (upstream.closing()) {
            clientClosed.completeExceptionally(
                    new IllegalStateException("connection " + connectionId + " closed: the FakeUpstream shut down"));
        } else {
            clientClosed.complete(null);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets and TLS failures from the proxy side land here; the close that follows is theirs, not ours.
        ctx.close();
    }

    int connectionId() {
        return connectionId;
    }

    EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    FakeUpstream upstream() {
        return upstream;
    }

    CompletableFuture<Void> clientClosed() {
        return clientClosed;
    }

    ChannelFuture write(HttpObject message) {
        lastWrite = ctx.writeAndFlush(message);
        return lastWrite;
    }

    /** The exchange wrote its last byte; the next pipelined request may go, or the connection closes. */
    void exchangeDone(FakeUpstreamExchange exchange, boolean closeConnection) {
        if (exchange != current) {
            return;
        }
        current = null;
        if (closeConnection) {
            closeGracefully();
        } else {
            // Not re-entrantly: the finishing behaviour may still be on the stack.
            ctx.executor().execute(this::dispatchNext);
        }
    }

    /** FIN (after TLS close_notify) once everything written so far is out. */
    ChannelFuture closeGracefully() {
        closedByFake = true;
        if (lastWrite != null && !lastWrite.isDone()) {
            lastWrite.addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.channel().close();
        }
        return ctx.channel().closeFuture();
    }

    /** RST: SO_LINGER 0, and the close starts below the TLS handler so no close_notify goes out. */
    ChannelFuture reset() {
        closedByFake = true;
        if (ctx.channel().isOpen()) {
            ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
            ctx.pipeline().firstContext().close();
        }
        return ctx.channel().closeFuture();
    }

    private void dispatchNext() {
        if (current != null || !ctx.channel().isActive()) {
            return;
        }
        Pending next = pending.poll();
        if (next == null) {
            return;
        }
        FakeUpstreamExchange exchange = new FakeUpstreamExchange(this, next.request(), next.keepAlive());
        current = exchange;
        try {
            upstream.behavior().handle(next.request(), exchange);
        } catch (Throwable t) {
            upstream.recordScriptError(new AssertionError("behavior threw on " + next.request() + ": " + t, t));
            exchange.abandon(t);
        }
    }

    /** 400 and close; mid-response there is no clean way to answer, so just close. */
    private void rejectMalformed(Throwable cause) {
        pending.clear();
        if (current != null) {
            closeGracefully();
            return;
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST,
                Unpooled.copiedBuffer(String.valueOf(cause), StandardCharsets.UTF_8));
        HttpUtil.setContentLength(response, response.content().readableBytes());
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        write(response);
        closeGracefully();
    }
}
