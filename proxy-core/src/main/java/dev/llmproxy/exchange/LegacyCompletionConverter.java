package dev.llmproxy.exchange;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.LegacyCompletions;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * Turns a successful chat completion back into the legacy {@code text_completion} shape for
 * {@code POST /v1/completions} (REFERENCE §2.5): a JSON body is gathered (bounded) and converted whole; an event
 * stream is converted event by event as it flows, {@code [DONE]} and non-data events passing unchanged.
 */
public final class LegacyCompletionConverter implements ResponseConverter {
    /** A chat completion larger than this is not a plausible answer; converting it is refused (502). */
    static final int MAX_JSON_BYTES = 32 * 1024 * 1024;
    static final int MAX_EVENT_BYTES = 4 * 1024 * 1024;

    private final String clientModel;

    /** @param clientModel the model string as the client sent it, echoed in every converted object */
    public LegacyCompletionConverter(String clientModel) {
        this.clientModel = clientModel;
    }

    @Override
    public BodyConverter forResponse(HttpResponse head) {
        if (head.status().codeClass() != HttpStatusClass.SUCCESS) {
            return null; // errors pass through as the upstream wrote them
        }
        String type = head.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
        long created = Instant.now().getEpochSecond();
        if (type.regionMatches(true, 0, "text/event-stream", 0, 17)) {
            return new EventStream(clientModel, created);
        }
        if (type.regionMatches(true, 0, "application/json", 0, 16)) {
            return new WholeJson(clientModel, created);
        }
        return null;
    }

    private static final class WholeJson implements BodyConverter {
        private final String model;
        private final long created;
        private CompositeByteBuf body;

        WholeJson(String model, long created) {
            this.model = model;
            this.created = created;
        }

        @Override
        public boolean aggregates() {
            return true;
        }

        @Override
        public void onContent(ByteBuf chunk, ByteBufAllocator alloc, Consumer<ByteBuf> out) {
            if (body == null) {
                body = alloc.compositeBuffer();
            }
            if (body.readableBytes() + chunk.readableBytes() > MAX_JSON_BYTES) {
                throw new IllegalStateException("upstream response larger than " + MAX_JSON_BYTES + " bytes");
            }
            body.addComponent(true, chunk.retainedSlice());
        }

        @Override
        public void finish(ByteBufAllocator alloc, Consumer<ByteBuf> out) {
            JsonNode chat;
            try (ByteBufInputStream in = new ByteBufInputStream(body == null ? Unpooled.EMPTY_BUFFER : body)) {
                chat = Json.MAPPER.readTree(in);
            } catch (IOException e) {
                throw new IllegalStateException("upstream response is not valid JSON", e);
            }
            if (chat == null || !chat.isObject()) {
                throw new IllegalStateException("upstream response is not a JSON object");
            }
            out.accept(Unpooled.wrappedBuffer(Json.bytes(LegacyCompletions.toCompletionResponse(chat, model, created))));
        }

        @Override
        public void close() {
            if (body != null) {
                body.release();
                body = null;
            }
        }
    }

    private static final class EventStream implements BodyConverter {
        private final String model;
        private final long created;
        private SseEventAssembler assembler;

        EventStream(String model, long created) {
            this.model = model;
            this.created = created;
        }

        @Override
        public boolean aggregates() {
            return false;
        }

        @Override
        public void onContent(ByteBuf chunk, ByteBufAllocator alloc, Consumer<ByteBuf> out) {
            if (assembler == null) {
                assembler = new SseEventAssembler(alloc, MAX_EVENT_BYTES);
            }
            assembler.feed(chunk, event -> out.accept(convert(event, alloc)));
        }

        private ByteBuf convert(ByteBuf event, ByteBufAllocator alloc) {
            String data = SseEventAssembler.data(event);
            if (data != null && !SseEventAssembler.isDone(data)) {
                try {
                    JsonNode chunk = Json.MAPPER.readTree(data);
                    if (chunk != null && chunk.isObject() && !chunk.has("error")) {
                        byte[] json = Json.bytes(LegacyCompletions.toCompletionChunk(chunk, model, created));
                        ByteBuf converted = alloc.buffer(json.length + 8);
                        converted.writeBytes("data: ".getBytes(StandardCharsets.US_ASCII)).writeBytes(json)
                                .writeBytes("\n\n".getBytes(StandardCharsets.US_ASCII));
                        return converted;
                    }
                } catch (IOException e) {
                    // not JSON: pass the event on unchanged
                }
            }
            return alloc.buffer(event.readableBytes()).writeBytes(event, event.readerIndex(), event.readableBytes());
        }

        @Override
        public void finish(ByteBufAllocator alloc, Consumer<ByteBuf> out) {
            if (assembler != null) {
                // flushes an event whose final CR ended the body; a truly partial event is dropped
                assembler.endOfStream(event -> out.accept(convert(event, alloc)));
            }
        }

        @Override
        public void close() {
            if (assembler != null) {
                assembler.close();
            }
        }
    }
}
