package dev.llmproxy.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;

import java.util.ArrayDeque;

/**
 * The HTTP/1.1 client codec of an upstream connection: Netty's request encoder and response decoder, paired so that
 * the answer to a {@code HEAD} has no body (as {@code HttpClientCodec} does), and able to say whether the upstream
 * sent bytes past the end of its response — a body longer than its {@code Content-Length}. Such a connection is out
 * of step: those bytes would be read as the start of the next response, so it must not go back to the pool.
 *
 * <p>Event-loop confined, like the channel it belongs to.
 */
public final class UpstreamHttpCodec extends CombinedChannelDuplexHandler<HttpResponseDecoder, HttpRequestEncoder> {

    private final ArrayDeque<HttpMethod> sent = new ArrayDeque<>(2);
    private final Decoder decoder;

    public UpstreamHttpCodec(HttpDecoderConfig config) {
        this.decoder = new Decoder(config);
        init(decoder, new Encoder());
    }

    /** The codec of an upstream channel, or null when it has none (already torn down). */
    public static UpstreamHttpCodec of(Channel channel) {
        return channel.pipeline().get(UpstreamHttpCodec.class);
    }

    /** Whether bytes the upstream sent are still unread by the decoder: right after a complete response, extras. */
    public boolean holdsUnreadBytes() {
        return decoder.unread() > 0;
    }

    private final class Encoder extends HttpRequestEncoder {
        @Override
        protected void encodeInitialLine(ByteBuf buf, HttpRequest request) throws Exception {
            sent.add(request.method());
            super.encodeInitialLine(buf, request);
        }
    }

    private final class Decoder extends HttpResponseDecoder {
        Decoder(HttpDecoderConfig config) {
            super(config);
        }

        int unread() {
            return actualReadableBytes();
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage message) {
            int code = ((HttpResponse) message).status().code();
            if (code >= 100 && code < 200) {
                return super.isContentAlwaysEmpty(message); // interim: the final response to the request follows
            }
            HttpMethod method = sent.poll();
            return HttpMethod.HEAD.equals(method) || super.isContentAlwaysEmpty(message);
        }
    }
}
