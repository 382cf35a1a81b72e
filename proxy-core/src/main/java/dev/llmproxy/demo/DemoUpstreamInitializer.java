package dev.llmproxy.demo;

import dev.llmproxy.netty.PipelineNames;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Builds the pipeline of one demo-upstream connection: codec, server header, request aggregation (this is the
 * simulator, so whole request bodies are fine) and a fresh {@link DemoRequestHandler}, which paces its own reads.
 *
 * <p>Threading: runs once per accepted channel on its event loop.
 */
final class DemoUpstreamInitializer extends ChannelInitializer<SocketChannel> {
    /** Request bodies above this are answered 413 by the aggregator. */
    static final int MAX_REQUEST_BODY_BYTES = 16 * 1024 * 1024;

    // Names only this simulator's pipeline uses; the shared ones come from PipelineNames.
    static final String SERVER_HEADER = "demo-server-header";
    static final String AGGREGATOR = "demo-aggregator";

    private final DemoModels models;
    private final long tokenDelayNanos;
    private final ChannelGroup connections;
    private final AtomicInteger streamsInFlight;
    private final DemoTts tts;
    private final DemoAudioGauges audioGauges;
    private final DemoPacers pacers;

    DemoUpstreamInitializer(DemoModels models, long tokenDelayNanos, ChannelGroup connections,
                            AtomicInteger streamsInFlight, DemoTts tts, DemoAudioGauges audioGauges,
                            DemoPacers pacers) {
        this.pacers = pacers;
        this.models = models;
        this.tokenDelayNanos = tokenDelayNanos;
        this.connections = connections;
        this.streamsInFlight = streamsInFlight;
        this.tts = tts;
        this.audioGauges = audioGauges;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        connections.add(ch);
        ChannelPipeline p = ch.pipeline();
        p.addLast(PipelineNames.HTTP_CODEC, new HttpServerCodec());
        // Before the aggregator, so its own 100-continue and 413 answers carry the header too.
        p.addLast(SERVER_HEADER, DemoServerHeaderHandler.INSTANCE);
        p.addLast(AGGREGATOR, new HttpObjectAggregator(MAX_REQUEST_BODY_BYTES));
        p.addLast(PipelineNames.ROUTER, new DemoRequestHandler(models, tokenDelayNanos, streamsInFlight, tts,
                audioGauges, pacers));
    }
}
