package dev.llmproxy.bridge.responses;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.bridge.EventStreamConverter;
import dev.llmproxy.bridge.Ids;
import dev.llmproxy.bridge.SseEventWriter;
import dev.llmproxy.bridge.StreamTranslator;

/**
 * A chat completion stream in, the Responses API's event stream out ({@link EventStreamConverter}); nothing but the
 * open items' text is kept. The upstream's {@code [DONE]} (or its end, after a finish reason) sends the final event;
 * an upstream that stops without either, or fails mid-stream, gets {@code response.failed}.
 */
final class ResponsesStreamConverter extends EventStreamConverter {
    private final ObjectNode template;
    private final Ids ids;
    private final long createdAt;

    ResponsesStreamConverter(ObjectNode template, Ids ids, long createdAt) {
        this.template = template;
        this.ids = ids;
        this.createdAt = createdAt;
    }

    @Override
    protected StreamTranslator newTranslator(SseEventWriter events) {
        return new ResponsesTranslator(template, ids, createdAt, events);
    }
}
