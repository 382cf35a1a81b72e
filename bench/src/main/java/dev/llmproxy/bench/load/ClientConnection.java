package dev.llmproxy.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * One keep-alive client connection of a {@link LoadWorker}'s pool, and the handler reading its answers: it counts
 * body bytes, parses SSE bodies event by event (content events, first-content time, gaps between them), and hands
 * the finished request back to its worker. Every message is released here.
 *
 * <p>Threading: confined to the worker's event loop.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter {
    private static final String CONTENT_FIELD = "\"content\":\"";

    private final LoadWorker worker;
    private final boolean streaming;
    Channel channel;

    boolean busy;
    long intendedNanos;
    long sentNanos;
    long lastActivityNanos;
    int status;
    boolean keepAlive;
    long bodyBytes;
    int contentEvents;
    long firstContentNanos;
    long lastContentNanos;
    private SseEventParser parser;

    ClientConnection(LoadWorker worker, boolean streaming) {
        this.worker = worker;
        this.streaming = streaming;
    }

    /** Starts a request intended at {@code intended}; the caller writes it. */
    void begin(long intended, long now) {
        busy = true;
        intendedNanos = intended;
        sentNanos = now;
        lastActivityNanos = now;
        status = 0;
        keepAlive = true;
        bodyBytes = 0;
        contentEvents = 0;
        firstContentNanos = 0;
        lastContentNanos = 0;
        parser = streaming ? new SseEventParser(this::onEvent) : null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (!busy) {
                return; // an answer nobody waits for any more (after a stall the channel is being closed)
            }
            lastActivityNanos = System.nanoTime();
            if (msg instanceof HttpResponse response) {
                status = response.status().code();
                keepAlive = HttpUtil.isKeepAlive(response);
            }
            if (msg instanceof HttpContent content) {
                ByteBuf data = content.content();
                bodyBytes += data.readableBytes();
                if (parser != null && status == 200) {
                    parser.feed(data);
                }
                if (msg instanceof LastHttpContent) {
                    busy = false;
                    parser = null;
                    worker.completed(this, lastActivityNanos);
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onEvent(String data) {
        int at = data.indexOf(CONTENT_FIELD);
        int value = at + CONTENT_FIELD.length();
        if (at < 0 || value >= data.length() || data.charAt(value) == '"') {
            return; // [DONE], the role event (empty content), the finish and usage events
        }
        long now = lastActivityNanos;
        if (contentEvents == 0) {
            firstContentNanos = now;
        } else {
            worker.gap(now - lastContentNanos);
        }
        lastContentNanos = now;
        contentEvents++;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        worker.closed(this);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
