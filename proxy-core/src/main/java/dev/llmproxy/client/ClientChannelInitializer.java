package dev.llmproxy.client;

import dev.llmproxy.netty.PipelineNames;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;

/**
 * Pipeline of one client connection: HTTP/1.1 codec → flow control (one message per {@code read()}, so pipelined
 * requests wait their turn) → idle guard → {@link ClientRequestHandler}. Auto-read is off on the server's child
 * channels; the handler asks for each read.
 */
public final class ClientChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final ClientServices services;
    private final AccessLog accessLog;

    public ClientChannelInitializer(ClientServices services) {
        this.services = services;
        this.accessLog = new AccessLog(services.config().accessLog());
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ChannelPipeline p = ch.pipeline();
        p.addLast(PipelineNames.HTTP_CODEC, newHttpCodec());
        p.addLast(PipelineNames.FLOW_CONTROL, new FlowControlHandler());
        p.addLast(PipelineNames.IDLE, new ClientIdleHandler(services.config().server().clientIdleTimeout()));
        p.addLast(PipelineNames.ROUTER, new ClientRequestHandler(services, accessLog));
    }

    /**
     * The client leg's HTTP/1.1 codec: a request line up to 8 KiB, header fields up to 32 KiB, body parts up to
     * 64 KiB. Tests feed it raw bytes to see requests exactly as the proxy does.
     */
    static HttpServerCodec newHttpCodec() {
        HttpDecoderConfig decoder = new HttpDecoderConfig()
                .setMaxInitialLineLength(8192)
                .setMaxHeaderSize(32 * 1024)
                .setMaxChunkSize(64 * 1024);
        return new HttpServerCodec(decoder);
    }
}
