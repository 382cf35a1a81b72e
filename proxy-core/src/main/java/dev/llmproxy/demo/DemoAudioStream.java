package dev.llmproxy.demo;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpResponse;

import java.util.function.Consumer;

/**
 * Writes one byte range of a {@link DemoWav} as the body of a response, generating each chunk only when the channel
 * is writable: it writes and flushes chunks of at most {@value #CHUNK_BYTES} bytes while the channel is writable,
 * stops when it is not, and carries on from {@link #resume()} when the handler sees writability return. So a slow
 * client holds at most the channel's high water mark plus one chunk, whatever the file's size. {@link #cancel()}
 * stops it at once.
 *
 * <p>Threading: confined to the connection's event loop.
 */
final class DemoAudioStream {
    static final int CHUNK_BYTES = 64 * 1024;

    private final ChannelHandlerContext ctx;
    private final DemoWav wav;
    private final long end;
    private final DemoAudioGauges gauges;
    private final Consumer<ChannelFuture> onLastWrite;
    /** Where each chunk is generated before it is copied into a pooled buffer, one bulk copy per chunk. */
    private final byte[] scratch;

    private long position;
    private boolean ended;
    private boolean writing;
    private boolean resumeAgain;

    /** Streams {@code range} of {@code wav}; {@code onLastWrite} gets the future of the last chunk's write. */
    DemoAudioStream(ChannelHandlerContext ctx, DemoWav wav, DemoByteRange range, DemoAudioGauges gauges,
                    Consumer<ChannelFuture> onLastWrite) {
        this.ctx = ctx;
        this.wav = wav;
        this.position = range.first();
        this.end = range.last() + 1;
        this.gauges = gauges;
        this.onLastWrite = onLastWrite;
        this.scratch = new byte[(int) Math.min(CHUNK_BYTES, range.length())];
    }

    void start(HttpResponse head) {
        gauges.started();
        ctx.write(head).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        resume();
    }

    /** Writes on while the channel is writable. Re-entrant calls (a flush that made the channel writable) loop here. */
    void resume() {
        if (writing) {
            resumeAgain = true;
            return;
        }
        writing = true;
        try {
            do {
                resumeAgain = false;
                writeWhileWritable();
            } while (resumeAgain && !ended);
        } finally {
            writing = false;
        }
    }

    /** The client went away: generate nothing more. Idempotent. */
    void cancel() {
        end();
    }

    private void writeWhileWritable() {
        Channel channel = ctx.channel();
        while (!ended) {
            if (!channel.isActive()) {
                end();
                return;
            }
            if (!channel.isWritable()) {
                gauges.paused();
                return;
            }
            int n = (int) Math.min(scratch.length, end - position);
            wav.read(position, scratch, 0, n);
            ByteBuf chunk = ctx.alloc().buffer(n).writeBytes(scratch, 0, n);
            position += n;
            if (position == end) {
                ChannelFuture last = ctx.writeAndFlush(new DefaultLastHttpContent(chunk));
                gauges.wrote(n, pendingOutboundBytes(channel));
                end();
                onLastWrite.accept(last);
                return;
            }
            ctx.writeAndFlush(new DefaultHttpContent(chunk)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            gauges.wrote(n, pendingOutboundBytes(channel));
        }
    }

    private static long pendingOutboundBytes(Channel channel) {
        ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
        return buffer == null ? 0 : buffer.totalPendingWriteBytes();
    }

    private void end() {
        if (ended) {
            return;
        }
        ended = true;
        gauges.ended();
    }
}
