package dev.llmproxy.upstream;

import dev.llmproxy.netty.PipelineNames;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Pipeline of one upstream connection: [TLS] → HTTP/1.1 client codec → idle guard → {@link UpstreamHandler}.
 * No aggregator: responses flow to the client part by part.
 */
public final class UpstreamChannelInitializer extends ChannelInitializer<SocketChannel> {

    /** One socket read per {@code read()} call, at most 64 KiB: what the proxy buffers per stream stays small. */
    private static final int MAX_READ_BYTES = 64 * 1024;

    private final UpstreamTarget target;
    private final SslContext sslContext;
    private final Duration handshakeTimeout;
    private final Duration idleTimeout;

    /** @param sslContext null for plain HTTP upstreams */
    public UpstreamChannelInitializer(UpstreamTarget target, SslContext sslContext, Duration handshakeTimeout,
                                      Duration idleTimeout) {
        this.target = target;
        this.sslContext = sslContext;
        this.handshakeTimeout = handshakeTimeout;
        this.idleTimeout = idleTimeout;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ch.config().setRecvByteBufAllocator(new AdaptiveRecvByteBufAllocator(512, 8192, MAX_READ_BYTES)
                .maxMessagesPerRead(1));
        ChannelPipeline p = ch.pipeline();
        if (sslContext != null) {
            SslHandler tls = sslContext.newHandler(ch.alloc(), target.host(), target.port());
            tls.setHandshakeTimeoutMillis(handshakeTimeout.toMillis());
            p.addLast(PipelineNames.TLS, tls);
        }
        HttpDecoderConfig decoder = new HttpDecoderConfig()
                .setMaxInitialLineLength(8192)
                .setMaxHeaderSize(64 * 1024)
                .setMaxChunkSize(MAX_READ_BYTES);
        p.addLast(PipelineNames.HTTP_CODEC, new UpstreamHttpCodec(decoder));
        p.addLast(PipelineNames.IDLE, new IdleStateHandler(0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS));
        p.addLast(PipelineNames.UPSTREAM_RESPONSE, new UpstreamHandler());
    }
}
