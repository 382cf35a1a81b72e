package dev.llmproxy.routes;

import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.ProxyError;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/** Builders for the responses the proxy writes itself: JSON bodies and OpenAI error envelopes. */
public final class Responses {
    public static final String JSON_UTF8 = "application/json; charset=utf-8";

    private Responses() {
    }

    public static FullHttpResponse json(HttpVersion version, HttpResponseStatus status, Object body) {
        return json(version, status, Json.bytes(body));
    }

    public static FullHttpResponse json(HttpVersion version, HttpResponseStatus status, byte[] body) {
        FullHttpResponse response = new DefaultFullHttpResponse(version, status, Unpooled.wrappedBuffer(body));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, JSON_UTF8)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        return response;
    }

    public static FullHttpResponse error(HttpVersion version, ProxyError error) {
        FullHttpResponse response = json(version, HttpResponseStatus.valueOf(error.status()), error.toJson());
        error.headers().forEach((name, value) -> response.headers().set(name, value));
        return response;
    }
}
