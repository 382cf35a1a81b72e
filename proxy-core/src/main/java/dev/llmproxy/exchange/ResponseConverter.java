package dev.llmproxy.exchange;

import io.netty.handler.codec.http.HttpResponse;

/**
 * Chooses, per upstream response head, whether and how its body is rewritten on the way to the client
 * (legacy completions turn chat responses back into {@code text_completion}). Most calls pass bytes unchanged.
 */
public interface ResponseConverter {

    ResponseConverter NONE = head -> null;

    /**
     * Called for every response head, errors included.
     *
     * @return a converter for this response's body, or null to pass it through byte for byte
     */
    BodyConverter forResponse(HttpResponse head);
}
