package dev.llmproxy.bridge.messages;

import dev.llmproxy.bridge.EventStreamConverter;
import dev.llmproxy.bridge.Ids;
import dev.llmproxy.bridge.SseEventWriter;
import dev.llmproxy.bridge.StreamTranslator;

/**
 * A chat completion stream in, Anthropic's Messages event stream out ({@link EventStreamConverter}): the upstream's
 * {@code [DONE]} (or its end, after a finish reason) sends {@code message_delta} and {@code message_stop}; an upstream
 * that stops without either, or fails mid-stream, gets an {@code error} event.
 */
final class MessagesStreamConverter extends EventStreamConverter {
    private final MessagesCall call;
    private final long inputTokens;
    private final Ids ids;

    MessagesStreamConverter(MessagesCall call, long inputTokens, Ids ids) {
        this.call = call;
        this.inputTokens = inputTokens;
        this.ids = ids;
    }

    @Override
    protected StreamTranslator newTranslator(SseEventWriter events) {
        return new MessagesTranslator(call, inputTokens, ids, events);
    }
}
