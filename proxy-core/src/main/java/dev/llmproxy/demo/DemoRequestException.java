package dev.llmproxy.demo;

import dev.llmproxy.openai.ProxyError;

/**
 * A request the simulator rejects with a 4xx and an OpenAI error envelope, thrown by the parsers and answered by
 * {@link DemoRequestHandler}. Carries no stack trace: it is an answer, not a fault.
 */
final class DemoRequestException extends RuntimeException {
    private final transient ProxyError error;

    DemoRequestException(ProxyError error) {
        super(error.message(), null, false, false);
        this.error = error;
    }

    ProxyError error() {
        return error;
    }
}
