package dev.llmproxy.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.exchange.SseEventAssembler;
import dev.llmproxy.openai.Json;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.io.IOException;

/**
 * Turns the bytes of a chat completion stream, split anywhere, into {@link ChatChunkReader} calls: events are
 * reassembled by {@link SseEventAssembler}, each {@code data:} parsed once, {@code [DONE]} remembered. Events
 * without data (comments, keep-alives) are skipped; data that is not a JSON object is an upstream fault and throws.
 *
 * <p>One instance per stream, confined to its event loop; {@link #close()} releases the assembler's buffer.
 */
public final class ChatStreamDecoder {
    /** An event larger than this is not a plausible chat chunk. */
    public static final int MAX_EVENT_BYTES = 4 * 1024 * 1024;

    private final ChatChunkReader reader;
    private final SseEventAssembler.EventSink sink = new SseEventAssembler.EventSink() {
        @Override
        public void onEvent(ByteBuf event) {
            read(event);
        }

        @Override
        public void onOverflow() {
            throw new IllegalStateException("upstream event larger than " + MAX_EVENT_BYTES + " bytes");
        }
    };
    private SseEventAssembler assembler;
    private boolean done;

    public ChatStreamDecoder(ChatStreamListener listener) {
        this.reader = new ChatChunkReader(listener);
    }

    /** Reads {@code chunk} (not released); calls the listener for each chunk it completes. */
    public void feed(ByteBuf chunk, ByteBufAllocator alloc) {
        if (assembler == null) {
            assembler = new SseEventAssembler(alloc, MAX_EVENT_BYTES);
        }
        assembler.feed(chunk, sink);
    }

    /** The upstream body ended: an event held back for its final CR is read now. */
    public void endOfStream() {
        if (assembler != null) {
            assembler.endOfStream(sink);
        }
    }

    /** True once {@code data: [DONE]} arrived. */
    public boolean done() {
        return done;
    }

    public void close() {
        if (assembler != null) {
            assembler.close();
        }
    }

    private void read(ByteBuf event) {
        String data = SseEventAssembler.data(event);
        if (data == null || done) {
            return;
        }
        if (SseEventAssembler.isDone(data)) {
            done = true;
            return;
        }
        JsonNode chunk;
        try {
            chunk = Json.MAPPER.readTree(data);
        } catch (IOException e) {
            throw new IllegalStateException("upstream event is not JSON", e);
        }
        if (chunk == null || !chunk.isObject()) {
            throw new IllegalStateException("upstream event is not a JSON object");
        }
        reader.readChunk(chunk);
    }
}
