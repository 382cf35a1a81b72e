package dev.llmproxy.exchange;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.Json;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.CompositeByteBuf;

import java.io.IOException;

/**
 * A response body held whole by an aggregating {@link BodyConverter}: the chunks as they come (retained slices, no
 * copy), their total size, and the body read as one JSON object. Event-loop confined; {@link #release()} frees
 * whatever is still held.
 */
public final class HeldBody {
    private CompositeByteBuf body;

    /** Keeps {@code chunk} (its reference count is the caller's; a retained slice is held). */
    public void add(ByteBuf chunk, ByteBufAllocator alloc) {
        if (body == null) {
            body = alloc.compositeBuffer();
        }
        body.addComponent(true, chunk.retainedSlice());
    }

    /** Bytes held so far. */
    public int size() {
        return body == null ? 0 : body.readableBytes();
    }

    /** The body as a JSON object, or null when it is empty, not JSON, or JSON of another kind. */
    public ObjectNode parseObject() {
        if (body == null) {
            return null;
        }
        try (ByteBufInputStream in = new ByteBufInputStream(body.duplicate())) {
            JsonNode node = Json.MAPPER.readTree(in);
            return node instanceof ObjectNode object ? object : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Hands the held bytes over (the receiver owns them), or null when nothing was held. */
    public ByteBuf take() {
        ByteBuf taken = body;
        body = null;
        return taken;
    }

    public void release() {
        if (body != null) {
            body.release();
            body = null;
        }
    }
}
