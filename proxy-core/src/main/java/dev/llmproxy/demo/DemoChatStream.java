package dev.llmproxy.demo;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpResponse;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Writes one streamed chat reply as SSE: the role event, one event per token paced by the token delay (token
 * {@code i} is due {@code (i + 1) * delay} after the start, so pacing does not drift), the finish event, the usage
 * event when asked, and {@code [DONE]}. {@link #cancel()} stops it at once.
 *
 * <p>Paced tokens are written by the loop's {@link DemoPacer}: no task is scheduled per token, and the events of one
 * tick go out in one flush. A token that comes due while the channel is not writable waits, with the ones after it,
 * until {@link #resume()} (the channel drained): a client that does not read gets no more than the channel's high
 * water mark plus one event buffered for it. Unpaced replies (delay 0) are written back to back, each event flushed
 * on its own.
 *
 * <p>Threading: confined to the connection's event loop; the pacing uses the loop's clock, never a sleep.
 */
final class DemoChatStream extends DemoPacer.Paced {
    private final ChannelHandlerContext ctx;
    private final DemoPacer pacer;
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
    /** Due, but the channel was not writable: out of the pacer until {@link #resume()}. */
    private boolean parked;
    private boolean ended;

    DemoChatStream(ChannelHandlerContext ctx, DemoPacer pacer, DemoChatChunks chunks, DemoReply reply,
                   boolean includeUsage, long tokenDelayNanos, int closeAfter, AtomicInteger streamsInFlight,
                   Consumer<ChannelFuture> onLastWrite) {
        this.ctx = ctx;
        this.pacer = pacer;
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
        writeAndFlush(chunks.role(ctx.alloc()));
        int count = reply.tokens().size();
        if (tokenDelayNanos > 0 && count > 0) {
            startNanos = pacer.nowNanos();
            dueNanos = dueOf(next);
            pacer.add(this);
            return;
        }
        while (next < count) {
            if (!writable() || closedAsAsked()) {
                return;
            }
            writeAndFlush(chunks.token(ctx.alloc(), next++));
        }
        if (writable()) {
            finish(true);
        }
    }

    /** The client went away: out of the pacer, nothing more written. Idempotent. */
    void cancel() {
        end();
    }

    /** The channel is writable again: a stream parked on it is due at the next tick. */
    void resume() {
        if (parked && !ended) {
            parked = false;
            pacer.add(this);
        }
    }

    /** Token {@code i}'s due time. */
    private long dueOf(int i) {
        return startNanos + (i + 1) * tokenDelayNanos;
    }

    @Override
    ChannelHandlerContext fire(long nowNanos) {
        boolean wrote = false;
        int count = reply.tokens().size();
        while (dueOf(next) - nowNanos <= 0) {
            if (!writable() || closedAsAsked()) {
                return null;
            }
            if (!ctx.channel().isWritable()) {
                parked = true;
                return wrote ? ctx : null;
            }
            // No promise per event: a failed write reaches the handler's exceptionCaught, which closes.
            ctx.write(new DefaultHttpContent(chunks.token(ctx.alloc(), next++)), ctx.voidPromise());
            wrote = true;
            if (next == count) {
                finish(false); // the last token and the end in one flush
                return null;
            }
        }
        dueNanos = dueOf(next);
        pacer.add(this);
        return wrote ? ctx : null;
    }

    /** The finish event, the usage event when asked, {@code [DONE]}; {@code flushEach}: each flushed on its own. */
    private void finish(boolean flushEach) {
        writeEvent(chunks.finish(ctx.alloc(), reply.finishReason()), flushEach);
        if (includeUsage) {
            writeEvent(chunks.usage(ctx.alloc(), reply), flushEach);
        }
        ChannelFuture last = ctx.writeAndFlush(new DefaultLastHttpContent(DemoChatChunks.done(ctx.alloc())));
        end();
        onLastWrite.accept(last);
    }

    /**
     * True when the request asked for the connection to drop here: closes it, as a failing upstream would, after
     * the events already written (a close fails what is still unflushed).
     */
    private boolean closedAsAsked() {
        if (next != closeAfter) {
            return false;
        }
        end();
        ctx.flush();
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

    private void writeEvent(ByteBuf event, boolean flush) {
        if (flush) {
            writeAndFlush(event);
        } else {
            ctx.write(new DefaultHttpContent(event)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
    }

    private void writeAndFlush(ByteBuf event) {
        ctx.writeAndFlush(new DefaultHttpContent(event)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    private void end() {
        if (ended) {
            return;
        }
        ended = true;
        parked = false;
        streamsInFlight.decrementAndGet();
        pacer.remove(this);
    }
}
