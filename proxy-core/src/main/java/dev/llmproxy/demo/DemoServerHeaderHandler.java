package dev.llmproxy.demo;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.AsciiString;

/**
 * Stamps {@code server: llm-proxy-demo-upstream} on every response head, including those the codec helpers write
 * on their own (100-continue, 413), so a reader of proxied headers can tell the simulator answered.
 *
 * <p>Threading: stateless, shared by all connections.
 */
@Sharable
final class DemoServerHeaderHandler extends ChannelOutboundHandlerAdapter {
    static final AsciiString SERVER_NAME = AsciiString.cached("llm-proxy-demo-upstream");
    static final DemoServerHeaderHandler INSTANCE = new DemoServerHeaderHandler();

    private DemoServerHeaderHandler() {
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response) {
            response.headers().set(HttpHeaderNames.SERVER, SERVER_NAME);
        }
        ctx.write(msg, promise);
    }
}
