package dev.llmproxy.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of an upstream connection: hands response parts to the exchange the connection currently
 * serves, and guards the connection while it sits idle in the pool (unsolicited bytes or an idle timeout close it).
 * Event-loop confined.
 */
public final class UpstreamHandler extends ChannelInboundHandlerAdapter {

    private UpstreamListener listener;
    private int exchangesServed;
    private boolean closeReported;

    public static UpstreamHandler of(Channel channel) {
        UpstreamHandler handler = channel.pipeline().get(UpstreamHandler.class);
        if (handler == null) {
            throw new IllegalStateException("not an upstream channel: " + channel);
        }
        return handler;
    }

    /** Attaches the exchange this connection now serves. */
    public void bind(UpstreamListener exchange) {
        this.listener = exchange;
        exchangesServed++;
    }

    /** Detaches the finished exchange; the connection is about to become idle or close. */
    public void unbind() {
        this.listener = null;
    }

    /** More than one means this connection was reused from the pool for the current exchange. */
    public int exchangesServed() {
        return exchangesServed;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        UpstreamListener current = listener;
        if (current != null && msg instanceof HttpObject httpObject) {
            current.onUpstreamMessage(httpObject);
            return;
        }
        // Bytes on an idle keep-alive connection: the peer is confused or closing; never reuse it.
        ReferenceCountUtil.release(msg);
        ctx.close();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        UpstreamListener current = listener;
        if (current != null) {
            current.onUpstreamReadComplete();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && listener == null) {
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        reportClosed(null);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        reportClosed(cause);
        ctx.close();
    }

    private void reportClosed(Throwable cause) {
        UpstreamListener current = listener;
        listener = null;
        if (current != null && !closeReported) {
            closeReported = true;
            current.onUpstreamClosed(cause);
        }
    }
}
