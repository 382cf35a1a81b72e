package dev.llmproxy.exchange;

import dev.llmproxy.openai.ProxyError;
import dev.llmproxy.upstream.UpstreamHandler;
import dev.llmproxy.upstream.UpstreamPool;
import dev.llmproxy.upstream.UpstreamTarget;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ProxyExchange}'s end after a mid-stream failure, with a client whose socket takes nothing yet: the final
 * error event and the stream's end wait in the client's outbound buffer, and the connection is handed on only once
 * they are written — then it stays open for the next request, since the stream ended as its framing says.
 */
class ProxyExchangeTest {

    /** Holds every write, as a client that does not read holds the proxy's outbound buffer, until released. */
    private static final class StalledClient extends ChannelOutboundHandlerAdapter {
        private final List<Object> messages = new ArrayList<>();
        private final List<ChannelPromise> promises = new ArrayList<>();
        private ChannelHandlerContext ctx;
        private boolean stalled = true;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (stalled) {
                messages.add(msg);
                promises.add(promise);
            } else {
                ctx.write(msg, promise);
            }
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            if (!stalled) {
                ctx.flush();
            }
        }

        @Override
        public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
            // closed while stalled: what it held is never written
            messages.forEach(ReferenceCountUtil::release);
            messages.clear();
            promises.clear();
            ctx.close(promise);
        }

        void readsAgain() {
            stalled = false;
            for (int i = 0; i < messages.size(); i++) {
                ctx.write(messages.get(i), promises.get(i));
            }
            messages.clear();
            promises.clear();
            ctx.flush();
        }
    }

    private final StalledClient stalled = new StalledClient();
    private final EmbeddedChannel client = new EmbeddedChannel(stalled);
    private final EmbeddedChannel upstream = new EmbeddedChannel(new UpstreamHandler());
    private final List<Boolean> handedOn = new ArrayList<>();

    @AfterEach
    void release() {
        client.finishAndReleaseAll();
        upstream.finishAndReleaseAll();
    }

    @Test
    void aStreamEndedByAnErrorEventIsHandedOnOnlyOnceWrittenAndKeepsTheConnection() {
        ProxyExchange exchange = new ProxyExchange(clientLeg(), pool(), call(), UpstreamPolicy.PASS_THROUGH,
                HttpVersion.HTTP_1_1, HttpMethod.POST, Duration.ofSeconds(30), Duration.ofSeconds(30),
                new ExchangeRecord(System.nanoTime(), "POST", "/v1/chat/completions"), gap -> { });
        exchange.start();
        ReferenceCountUtil.release(upstream.readOutbound()); // the request

        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream");
        HttpUtil.setTransferEncodingChunked(head, true);
        upstream.writeInbound(head);
        upstream.writeInbound(new DefaultHttpContent(Unpooled.copiedBuffer("data: {\"n\":1}\n\n",
                StandardCharsets.UTF_8)));
        upstream.pipeline().fireExceptionCaught(new IOException("connection reset by peer"));

        assertThat(handedOn).as("the error event is still queued behind the client: the connection waits").isEmpty();
        assertThat(client.isOpen()).isTrue();

        stalled.readsAgain();

        assertThat(handedOn).as("written: handed on, reusable").containsExactly(true);
        assertThat(client.isOpen()).isTrue();
        StringBuilder body = new StringBuilder();
        boolean ended = false;
        Object out;
        while ((out = client.readOutbound()) != null) {
            if (out instanceof HttpContent content) {
                body.append(content.content().toString(StandardCharsets.UTF_8));
                ended |= content instanceof LastHttpContent;
            }
            ReferenceCountUtil.release(out);
        }
        assertThat(body.toString()).startsWith("data: {\"n\":1}\n\n").contains("data: {\"error\":")
                .contains("upstream_connection_lost");
        assertThat(ended).as("the chunked body's proper end").isTrue();
    }

    private ClientLeg clientLeg() {
        return new ClientLeg() {
            @Override
            public Channel channel() {
                return client;
            }

            @Override
            public void decorate(HttpHeaders responseHeaders) {
            }

            @Override
            public boolean keepAliveAfterResponse() {
                return true;
            }

            @Override
            public void sendError(ProxyError error) {
                throw new AssertionError("no error envelope after the head: " + error);
            }

            @Override
            public void exchangeDone(boolean reusable) {
                handedOn.add(reusable);
                if (!reusable) {
                    client.close();
                }
            }
        };
    }

    private UpstreamPool pool() {
        return new UpstreamPool() {
            @Override
            public Future<Channel> acquire(EventLoop loop, boolean fresh) {
                return upstream.eventLoop().newSucceededFuture(upstream);
            }

            @Override
            public void release(Channel channel) {
                channel.close();
            }

            @Override
            public int openConnections() {
                return upstream.isOpen() ? 1 : 0;
            }

            @Override
            public int idleConnections() {
                return 0;
            }

            @Override
            public UpstreamTarget target() {
                return UpstreamTarget.of(URI.create("http://127.0.0.1:9/v1"));
            }

            @Override
            public void close() {
            }
        };
    }

    private static UpstreamCall call() {
        return new UpstreamCall(HttpMethod.POST, "/chat/completions", new DefaultHttpHeaders(),
                Unpooled.copiedBuffer("{}", StandardCharsets.UTF_8), ResponseConverter.NONE, null, null);
    }
}
