package dev.llmproxy.client;

import dev.llmproxy.openai.ProxyError;
import io.netty.buffer.ByteBuf;

/**
 * What {@link RequestBodyDecoder#decode} made of a request body: exactly one of the decoded bytes (owned by the caller,
 * who releases them) or the error to answer.
 *
 * @param body  the decoded body, or null when decoding failed
 * @param error the 413, 415 or 400 to answer, or null on success
 */
public record DecodedBody(ByteBuf body, ProxyError error) {

    static DecodedBody of(ByteBuf body) {
        return new DecodedBody(body, null);
    }

    static DecodedBody failed(ProxyError error) {
        return new DecodedBody(null, error);
    }

    public boolean failed() {
        return error != null;
    }
}
