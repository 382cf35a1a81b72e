package dev.llmproxy.bridge.responses;

import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * A chat completion stream in, the Responses API's event stream out, chunk by chunk: each upstream chunk yields the
 * events it completes, as one buffer, at once; nothing but the open items' text is kept. The upstream's
 * {@code [DONE]} (or its end, after a finish reason) sends the final event; an upstream that stops without either,
 * or fails mid-stream, gets {@code response.failed}. Event-loop confined.
 */
final class ResponsesStreamConverter implements BodyConverter {
    private final ObjectNode template;
    private final Ids ids;
    private final long createdAt;
    private SseEventWriter events;
    private ResponsesTranslator translator;
    private ChatStreamDecoder decoder;

    ResponsesStreamConverter(ObjectNode template, Ids ids, long createdAt) {
        this.template = template;
        this.ids = ids;
        this.createdAt = createdAt;
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
            translator = new ResponsesTranslator(template, ids, createdAt, events);
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
