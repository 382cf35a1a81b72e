package dev.llmproxy.bench.load;

import dev.llmproxy.netty.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongUnaryOperator;

/**
 * An in-process HTTP server on 127.0.0.1 for the generator's tests. Unary: answers each request after
 * {@code delay.applyAsLong(nowNanos)} nanoseconds. Streaming: answers an SSE stream of {@code events} content
 * events, each written in two pieces split in the middle of the event; the stream numbered {@code dropInStream}
 * (counted from 1) leaves out one event.
 *
 * <p>Threading: one event loop; the counters are read by the test thread.
 */
final class TestUpstream implements AutoCloseable {
    private final EventLoopGroup group;
    private final Channel server;
    final AtomicInteger requests = new AtomicInteger();
    final AtomicInteger streams = new AtomicInteger();

    private TestUpstream(LongUnaryOperator delay, int events, int dropInStream) throws InterruptedException {
        Transports transports = Transports.best();
        group = transports.newGroup(1, "test-upstream");
        server = new ServerBootstrap().group(group).channel(transports.serverChannel())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 16),
                                new Handler(delay, events, dropInStream));
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    static TestUpstream unary(LongUnaryOperator delayNanosAt) throws InterruptedException {
        return new TestUpstream(delayNanosAt, 0, 0);
    }

    static TestUpstream streaming(int events, int dropInStream) throws InterruptedException {
        return new TestUpstream(now -> 0, events, dropInStream);
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final LongUnaryOperator delay;
        private final int events;
        private final int dropInStream;

        Handler(LongUnaryOperator delay, int events, int dropInStream) {
            this.delay = delay;
            this.events = events;
            this.dropInStream = dropInStream;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            requests.incrementAndGet();
            if (events > 0) {
                stream(ctx, streams.incrementAndGet() == dropInStream);
                return;
            }
            long wait = delay.applyAsLong(System.nanoTime());
            Runnable answer = () -> {
                DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                        HttpResponseStatus.OK, Unpooled.copiedBuffer("{\"ok\":true}", StandardCharsets.US_ASCII));
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                        .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
                ctx.writeAndFlush(response);
            };
            if (wait <= 0) {
                answer.run();
            } else {
                ctx.executor().schedule(answer, wait, TimeUnit.NANOSECONDS);
            }
        }

        private void stream(ChannelHandlerContext ctx, boolean dropOne) {
            DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
                    .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            ctx.write(head);
            writeSplit(ctx, "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n");
            for (int i = 0; i < events; i++) {
                if (dropOne && i == events / 2) {
                    continue;
                }
                writeSplit(ctx, "data: {\"choices\":[{\"delta\":{\"content\":\"tok" + i + " \"}}]}\r\n\r\n");
            }
            writeSplit(ctx, "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}]}\n\n");
            ctx.writeAndFlush(new DefaultLastHttpContent(Unpooled.copiedBuffer("data: [DONE]\n\n",
                    StandardCharsets.US_ASCII)));
        }

        /** Writes one event as two flushed chunks cut in its middle, so the client must reassemble it. */
        private void writeSplit(ChannelHandlerContext ctx, String event) {
            byte[] bytes = event.getBytes(StandardCharsets.UTF_8);
            int cut = bytes.length / 2;
            ByteBuf first = Unpooled.wrappedBuffer(bytes, 0, cut);
            ByteBuf second = Unpooled.wrappedBuffer(bytes, cut, bytes.length - cut);
            ctx.writeAndFlush(new DefaultHttpContent(first));
            ctx.writeAndFlush(new DefaultHttpContent(second));
        }
    }
}
