package dev.llmproxy.client;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Tells the client handler when its connection has seen no traffic either way for the idle timeout, with an
 * {@link IdleStateEvent#ALL_IDLE_STATE_EVENT} (the handler closes an idle keep-alive connection and answers a body that
 * stopped arriving with 408; while a response is in progress the exchange's own timeouts apply).
 *
 * <p>Netty's {@code IdleStateHandler} watching all traffic turns every write's promise into a real one to hear when it
 * completes; through the HTTP encoder that costs a promise for each of a streamed chunk's three parts and a combiner
 * (five objects per SSE event). This handler notes activity when the connection reads and when it flushes, and counts
 * output still draining to the client as activity while it moves, so writes keep their void promises.
 *
 * <p>Threading: confined to the channel's event loop; one scheduled check per timeout period.
 */
final class ClientIdleHandler extends ChannelDuplexHandler implements Runnable {
    private final long timeoutNanos;
    private ChannelHandlerContext ctx;
    private long lastActivity;
    /** Bytes waiting to reach the client at the last check; a change means the client is still reading. */
    private long lastPending;
    private ScheduledFuture<?> check;

    ClientIdleHandler(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("idle timeout must be positive: " + timeout);
        }
        this.timeoutNanos = timeout.toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive() && ctx.channel().isRegistered()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start();
        ctx.fireChannelActive();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        lastActivity = now();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        lastActivity = now();
        ctx.flush();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stop();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    /** The scheduled check. */
    @Override
    public void run() {
        check = null;
        if (!ctx.channel().isOpen()) {
            return;
        }
        long now = now();
        long pending = pendingOutput();
        if (pending != lastPending) {
            lastPending = pending;
            lastActivity = now;
        }
        long idle = now - lastActivity;
        if (idle < timeoutNanos) {
            schedule(timeoutNanos - idle);
            return;
        }
        lastActivity = now; // the next event, if the handler keeps the connection, comes a full period later
        schedule(timeoutNanos);
        ctx.fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
    }

    private void start() {
        if (check != null) {
            return;
        }
        lastActivity = now();
        lastPending = 0;
        schedule(timeoutNanos);
    }

    private void stop() {
        if (check != null) {
            check.cancel(false);
            check = null;
        }
    }

    private void schedule(long delayNanos) {
        check = ctx.executor().schedule(this, delayNanos, TimeUnit.NANOSECONDS);
    }

    private long pendingOutput() {
        ChannelOutboundBuffer buffer = ctx.channel().unsafe().outboundBuffer();
        return buffer == null ? 0 : buffer.totalPendingWriteBytes();
    }

    private long now() {
        return ctx.executor().ticker().nanoTime();
    }
}
