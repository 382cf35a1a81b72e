package dev.llmproxy.routes;

import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;

/**
 * A request for a local route, read whole.
 *
 * @param head     the request head
 * @param pathArg  the variable part of a template path ({@code {id}} of {@code /v1/models/{id}}), or null
 * @param body     the body (at most {@code MAX_REQUEST_BODY_BYTES}); empty when there was none
 * @param identity who the client is for per-client state (a key hash or its IP), never a raw key
 */
public record LocalRequest(HttpRequest head, String pathArg, byte[] body, String identity) {

    public HttpVersion version() {
        return head.protocolVersion();
    }
}
