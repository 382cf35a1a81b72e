package dev.llmproxy.bench;

import dev.llmproxy.netty.Transports;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Downloads one URL per call over a fresh HTTP/1.1 connection and counts the body's bytes as they arrive, releasing
 * each piece at once: memory stays at one socket read whatever the file's size. Only a non-200 answer keeps the
 * start of its body, for the error message.
 *
 * <p>Threading: {@link #download} may be called from any thread; each download runs on one of the group's event
 * loops and completes its future there.
 */
public final class AudioDownloader implements AutoCloseable {
    /** Body pieces up to one socket read: the decoder's default 8 KiB would split each read into many objects. */
    private static final int MAX_CHUNK_BYTES = 1 << 20;
    private static final int ERROR_BODY_BYTES = 512;

    /**
     * One finished download.
     *
     * @param status        the response status
     * @param contentLength the {@code Content-Length} header, or -1
     * @param bytes         body bytes received
     * @param nanos         from connect to the last byte
     * @param errorBody     the start of the body of a non-200 answer, else empty
     */
    public record Download(int status, long contentLength, long bytes, long nanos, String errorBody) {
    }

    private final EventLoopGroup group;
    private final Bootstrap bootstrap;

    public AudioDownloader(int threads) {
        Transports transports = Transports.best();
        group = transports.newGroup(threads, "bench-audio-client");
        bootstrap = new Bootstrap()
                .group(group)
                .channel(transports.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000);
    }

    /** GETs {@code url} (http only); the future fails when the connection fails or closes before the last byte. */
    public CompletableFuture<Download> download(URI url) {
        CompletableFuture<Download> result = new CompletableFuture<>();
        long start = System.nanoTime();
        int port = url.getPort() == -1 ? 80 : url.getPort();
        String target = url.getRawPath() + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        bootstrap.clone()
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(
                                new HttpDecoderConfig().setMaxChunkSize(MAX_CHUNK_BYTES), false, false));
                        ch.pipeline().addLast(new CountingHandler(result, start));
                    }
                })
                .connect(url.getHost(), port)
                .addListener((ChannelFutureListener) connected -> {
                    if (!connected.isSuccess()) {
                        result.completeExceptionally(connected.cause());
                        return;
                    }
                    FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, target);
                    request.headers()
                            .set(HttpHeaderNames.HOST, url.getHost() + ":" + port)
                            .set(HttpHeaderNames.ACCEPT, "audio/*")
                            .set(HttpHeaderNames.USER_AGENT, "llm-proxy-bench/audio-throughput");
                    connected.channel().writeAndFlush(request).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
                });
        return result;
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Counts one response's body and completes the future with the last byte; closes the connection then. */
    private static final class CountingHandler extends SimpleChannelInboundHandler<HttpObject> {
        private final CompletableFuture<Download> result;
        private final long start;
        private int status;
        private long contentLength = -1;
        private long bytes;
        private final StringBuilder errorBody = new StringBuilder();

        CountingHandler(CompletableFuture<Download> result, long start) {
            this.result = result;
            this.start = start;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (msg instanceof HttpResponse response) {
                status = response.status().code();
                contentLength = HttpUtil.getContentLength(response, -1L);
            }
            if (msg instanceof HttpContent content) {
                ByteBuf data = content.content();
                bytes += data.readableBytes();
                if (status != 200 && errorBody.length() < ERROR_BODY_BYTES) {
                    int n = Math.min(data.readableBytes(), ERROR_BODY_BYTES - errorBody.length());
                    errorBody.append(data.toString(data.readerIndex(), n, StandardCharsets.UTF_8));
                }
                if (msg instanceof LastHttpContent) {
                    result.complete(new Download(status, contentLength, bytes, System.nanoTime() - start,
                            errorBody.toString()));
                    ctx.close();
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            result.completeExceptionally(new IOException("connection closed after " + bytes + " body bytes"
                    + (status == 0 ? " and no response head" : " of " + contentLength)));
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            result.completeExceptionally(cause);
            ctx.close();
        }
    }
}
