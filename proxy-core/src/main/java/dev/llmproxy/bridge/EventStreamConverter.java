package dev.llmproxy.bridge;

import dev.llmproxy.exchange.BodyConverter;
import dev.llmproxy.openai.ProxyError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

import java.util.function.Consumer;

/**
 * A chat completion stream in, another API's event stream out, chunk by chunk: each upstream chunk yields the events
 * it completes, as one buffer, at once. The upstream's {@code [DONE]} (or its end, after a finish reason) sends the
 * closing events; an upstream that stops without either, or fails mid-stream, gets the API's failure event. What the
 * events say is the {@link StreamTranslator}'s; a subclass only makes it. Event-loop confined.
 */
public abstract class EventStreamConverter implements BodyConverter {
    private SseEventWriter events;
    private StreamTranslator translator;
    private ChatStreamDecoder decoder;

    /** The translator of this answer, writing to {@code events}; called once, at the first chunk. */
    protected abstract StreamTranslator newTranslator(SseEventWriter events);

    @Override
    public final boolean aggregates() {
        return false;
    }

    @Override
    public final void onContent(ByteBuf chunk, ByteBufAllocator alloc, Consumer<ByteBuf> out) {
        ready(alloc);
        translator.start();
        decoder.feed(chunk, alloc);
        if (decoder.done()) {
            translator.end(true);
        }
        emit(out);
    }

    @Override
    public final void finish(ByteBufAllocator alloc, Consumer<ByteBuf> out) {
        ready(alloc);
        decoder.endOfStream();
        translator.end(decoder.done());
        emit(out);
    }

    @Override
    public final ByteBuf onStreamError(ProxyError error, ByteBufAllocator alloc) {
        ready(alloc);
        translator.fail(error);
        ByteBuf written = events.take();
        return written != null ? written : Unpooled.EMPTY_BUFFER; // already ended in its own terms: nothing to add
    }

    @Override
    public final void close() {
        if (decoder != null) {
            decoder.close();
            events.close();
        }
    }

    private void ready(ByteBufAllocator alloc) {
        if (translator == null) {
            events = new SseEventWriter(alloc);
            translator = newTranslator(events);
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
