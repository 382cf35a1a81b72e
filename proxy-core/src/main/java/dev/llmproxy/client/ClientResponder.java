package dev.llmproxy.client;

import dev.llmproxy.exchange.ClientLeg;
import io.netty.handler.codec.http.FullHttpResponse;

/**
 * The client connection as a {@link ForwardedRequest} sees it: the leg its exchanges answer through, plus a whole
 * answer the request composes itself (a Messages token count). Called on the client channel's event loop.
 */
interface ClientResponder extends ClientLeg {

    /** Answers with {@code response} (no response byte has been written yet), then ends the request. */
    void respond(FullHttpResponse response);
}
