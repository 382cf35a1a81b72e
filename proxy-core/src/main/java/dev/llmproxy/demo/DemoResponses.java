package dev.llmproxy.demo;

import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.ProxyError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Builds the simulator's complete responses (JSON bodies and error envelopes) and the headers a real upstream would
 * send, so header pass-through through the proxy can be seen.
 *
 * <p>Threading: stateless.
 */
final class DemoResponses {
    static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
    static final AsciiString X_RATELIMIT_REMAINING_REQUESTS = AsciiString.cached("x-ratelimit-remaining-requests");
    /** A fixed, comfortable quota: the demo upstream never rate-limits. */
    static final AsciiString REMAINING_REQUESTS = AsciiString.cached("999");

    private DemoResponses() {
    }

    static FullHttpResponse json(ByteBufAllocator alloc, HttpResponseStatus status, byte[] body) {
        ByteBuf content = alloc.buffer(body.length).writeBytes(body);
        return json(status, content);
    }

    /** Takes ownership of {@code content}. */
    static FullHttpResponse json(HttpResponseStatus status, ByteBuf content) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        return response;
    }

    /** A 200 answer from the "model": JSON plus the headers an upstream adds. Takes ownership of {@code body}. */
    static FullHttpResponse ok(ByteBuf body) {
        FullHttpResponse response = json(HttpResponseStatus.OK, body);
        upstreamHeaders(response.headers());
        return response;
    }

    static void upstreamHeaders(HttpHeaders headers) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        headers.set(X_REQUEST_ID, new UUID(random.nextLong(), random.nextLong()).toString());
        headers.set(X_RATELIMIT_REMAINING_REQUESTS, REMAINING_REQUESTS);
    }

    /** The OpenAI envelope {@code {"error":{"message","type","param","code"}}} with the error's status. */
    static FullHttpResponse error(ByteBufAllocator alloc, ProxyError error) {
        return json(alloc, HttpResponseStatus.valueOf(error.status()), error.toJson());
    }

    /**
     * What OpenAI answers for a model it does not serve: 404 {@code model_not_found} in its envelope, with its own
     * wording.
     */
    static FullHttpResponse unknownModel(ByteBufAllocator alloc, String model) {
        return error(alloc, ProxyError.of(ErrorKind.MODEL_NOT_FOUND,
                "The model '" + model + "' does not exist or you do not have access to it."));
    }
}
