package dev.llmproxy.exchange;

import dev.llmproxy.netty.HeaderNameSet;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;

/**
 * The request to send upstream, fully prepared by the client leg (validated, model resolved, headers filtered,
 * credentials chosen).
 *
 * @param method    upstream method
 * @param path      OpenAI path relative to the base URL, with query, e.g. {@code /chat/completions}
 * @param headers   end-to-end headers to send, including {@code Authorization} when a key applies; the exchange
 *                  adds {@code Host} and framing
 * @param body      request body; owned by the exchange from now on (released when it ends)
 * @param converter how to rewrite a successful response, or {@link ResponseConverter#NONE}
 * @param metering  how to count the response's tokens, or null for calls without tokens
 * @param responseHeaders the only upstream response headers the client may see, or null for every end-to-end one
 */
public record UpstreamCall(HttpMethod method, String path, HttpHeaders headers, ByteBuf body,
                           ResponseConverter converter, Metering metering, HeaderNameSet responseHeaders) {
}
