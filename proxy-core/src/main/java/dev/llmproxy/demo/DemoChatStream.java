package dev.llmproxy.demo;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpResponse;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Writes one streamed chat reply as SSE: the role event, one event per token paced by the token delay (token
 * {@code i} is due {@code (i + 1) * delay} after the start, so pacing does not drift), the finish event, the usage
 * event when asked, and {@code [DONE]}. Every event is flushed on its own. {@link #cancel()} stops it at once.
 *
 * <p>Threading: confined to the connection's event loop; the pacing uses the loop's scheduler, never a sleep.
 */
final class DemoChatStream {
    private final ChannelHandlerContext ctx;
    private final DemoChatChunks chunks;
    private final DemoReply reply;
    private final boolean includeUsage;
    private final long tokenDelayNanos;
    /** Close the connection after this many tokens, without the stream's end; -1 for never. */
    private final int closeAfter;
    private final AtomicInteger streamsInFlight;
    private final Consumer<ChannelFuture> onLastWrite;

    private long startNanos;
    private int next;
    private ScheduledFuture<?> tick;
    private boolean ended;

    DemoChatStream(ChannelHandlerContext ctx, DemoChatChunks chunks, DemoReply reply, boolean includeUsage,
                   long tokenDelayNanos, int closeAfter, AtomicInteger streamsInFlight,
                   Consumer<ChannelFuture> onLastWrite) {
        this.ctx = ctx;
        this.chunks = chunks;
        this.reply = reply;
        this.includeUsage = includeUsage;
        this.tokenDelayNanos = tokenDelayNanos;
        this.closeAfter = closeAfter;
        this.streamsInFlight = streamsInFlight;
        this.onLastWrite = onLastWrite;
    }

    /** Writes the response head and the role event, then the tokens: back to back, or paced. */
    void start(HttpResponse head) {
        streamsInFlight.incrementAndGet();
        ctx.write(head).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        writeEvent(chunks.role(ctx.alloc()));
        startNanos = ctx.executor().ticker().nanoTime();
        if (tokenDelayNanos > 0) {
            scheduleNext();
            return;
        }
        int count = reply.tokens().size();
        while (next < count) {
            if (!writable() || closedAsAsked()) {
                return;
            }
            writeEvent(chunks.token(ctx.alloc(), next++));
        }
        if (writable()) {
            finish();
        }
    }

    /** The client went away: drop the scheduled token, write nothing more. Idempotent. */
    void cancel() {
        end();
    }

    private void scheduleNext() {
        long due = startNanos + (next + 1) * tokenDelayNanos;
        // The scheduler's own clock: the deadline and the delay agree, and tests can drive it.
        tick = ctx.executor().schedule(this::onTick, due - ctx.executor().ticker().nanoTime(), TimeUnit.NANOSECONDS);
    }

    private void onTick() {
        tick = null;
        if (!writable() || closedAsAsked()) {
            return;
        }
        writeEvent(chunks.token(ctx.alloc(), next++));
        if (next < reply.tokens().size()) {
            scheduleNext();
        } else {
            finish();
        }
    }

    private void finish() {
        writeEvent(chunks.finish(ctx.alloc(), reply.finishReason()));
        if (includeUsage) {
            writeEvent(chunks.usage(ctx.alloc(), reply));
        }
        ChannelFuture last = ctx.writeAndFlush(new DefaultLastHttpContent(DemoChatChunks.done(ctx.alloc())));
        end();
        onLastWrite.accept(last);
    }

    /** True when the request asked for the connection to drop here: closes it, as a failing upstream would. */
    private boolean closedAsAsked() {
        if (next != closeAfter) {
            return false;
        }
        end();
        ctx.close();
        return true;
    }

    /** False once cancelled or closed; a stream that finds its channel closed ends itself. */
    private boolean writable() {
        if (ended) {
            return false;
        }
        if (!ctx.channel().isActive()) {
            end();
            return false;
        }
        return true;
    }

    private void writeEvent(ByteBuf event) {
        ctx.writeAndFlush(new DefaultHttpContent(event)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    private void end() {
        if (ended) {
            return;
        }
        ended = true;
        streamsInFlight.decrementAndGet();
        if (tick != null) {
            tick.cancel(false);
            tick = null;
        }
    }
}
