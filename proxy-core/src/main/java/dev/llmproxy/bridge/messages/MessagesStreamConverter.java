package dev.llmproxy.bridge.messages;

import dev.llmproxy.bridge.ChatStreamDecoder;
import dev.llmproxy.bridge.Ids;
import dev.llmproxy.bridge.SseEventWriter;
import dev.llmproxy.exchange.BodyConverter;
import dev.llmproxy.openai.ProxyError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

import java.util.function.Consumer;

/**
 * A chat completion stream in, Anthropic's Messages event stream out, chunk by chunk: each upstream chunk yields the
 * events it completes, as one buffer, at once. The upstream's {@code [DONE]} (or its end, after a finish reason)
 * sends {@code message_delta} and {@code message_stop}; an upstream that stops without either, or fails mid-stream,
 * gets an {@code error} event. Event-loop confined.
 */
final class MessagesStreamConverter implements BodyConverter {
    private final MessagesCall call;
    private final long inputTokens;
    private final Ids ids;
    private SseEventWriter events;
    private MessagesTranslator translator;
    private ChatStreamDecoder decoder;

    MessagesStreamConverter(MessagesCall call, long inputTokens, Ids ids) {
        this.call = call;
        this.inputTokens = inputTokens;
        this.ids = ids;
    }

    @Override
    public boolean aggregates() {
        return false;
    }

    @Override
    public void onContent(ByteBuf chunk, ByteBufAllocator alloc, Consumer<ByteBuf> out) {
        ready(alloc);
        translator.start();
        decoder.feed(chunk, alloc);
        if (decoder.done()) {
            translator.end(true);
        }
        emit(out);
    }

    @Override
    public void finish(ByteBufAllocator alloc, Consumer<ByteBuf> out) {
        ready(alloc);
        decoder.endOfStream();
        translator.end(decoder.done());
        emit(out);
    }

    @Override
    public ByteBuf onStreamError(ProxyError error, ByteBufAllocator alloc) {
        ready(alloc);
        translator.fail(error);
        ByteBuf written = events.take();
        return written != null ? written : Unpooled.EMPTY_BUFFER; // already ended in its own terms: nothing to add
    }

    @Override
    public void close() {
        if (decoder != null) {
            decoder.close();
            events.close();
        }
    }

    private void ready(ByteBufAllocator alloc) {
        if (translator == null) {
            events = new SseEventWriter(alloc);
            translator = new MessagesTranslator(call, inputTokens, ids, events);
            decoder = new ChatStreamDecoder(translator);
        }
    }

    private void emit(Consumer<ByteBuf> out) {
        ByteBuf written = events.take();
        if (written != null) {
            out.accept(written);
        }
    }
}
