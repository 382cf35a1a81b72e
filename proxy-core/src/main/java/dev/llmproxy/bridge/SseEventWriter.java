package dev.llmproxy.bridge;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Writes typed SSE events — {@code event: <type>\ndata: {"type":"<type>",…}\n\n}, as OpenAI's Responses API and
 * Anthropic's Messages API send them — straight into one buffer through a Jackson generator: no intermediate
 * strings, no trees except for values already held as trees. Events written between two {@link #take()} calls go out
 * as one buffer, so one upstream chunk becomes at most one write to the client.
 *
 * <p>Usage: {@code begin(type)}, fields, {@code end()}. Not thread-safe; {@link #close()} releases an untaken buffer.
 */
public final class SseEventWriter implements AutoCloseable {
    private static final int INITIAL_CAPACITY = 512;

    private final ByteBufAllocator alloc;
    private ByteBuf buf;
    private JsonGenerator json;

    public SseEventWriter(ByteBufAllocator alloc) {
        this.alloc = alloc;
    }

    /** Starts an event of {@code type}; its JSON object already holds {@code "type"}. */
    public SseEventWriter begin(String type) {
        try {
            if (json == null) {
                buf = alloc.buffer(INITIAL_CAPACITY);
                // the cast picks the OutputStream overload: ByteBufOutputStream is a DataOutput too
                json = Json.MAPPER.createGenerator((OutputStream) new ByteBufOutputStream(buf));
                json.setRootValueSeparator(null);
            }
            json.writeRaw("event: ");
            json.writeRaw(type);
            json.writeRaw("\ndata: ");
            json.writeStartObject();
            json.writeStringField("type", type);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public SseEventWriter field(String name, String value) {
        try {
            json.writeStringField(name, value);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public SseEventWriter field(String name, long value) {
        try {
            json.writeNumberField(name, value);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A tree value (an item, a whole response object); null writes JSON null. */
    public SseEventWriter field(String name, JsonNode value) {
        try {
            json.writeFieldName(name);
            json.writeTree(value);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public SseEventWriter emptyArray(String name) {
        try {
            json.writeFieldName(name);
            json.writeStartArray();
            json.writeEndArray();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public SseEventWriter startObject(String name) {
        try {
            json.writeObjectFieldStart(name);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public SseEventWriter endObject() {
        try {
            json.writeEndObject();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Ends the event's object and the event. */
    public void end() {
        try {
            json.writeEndObject();
            json.writeRaw("\n\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The events written since the last call, owned by the caller; null when there were none. */
    public ByteBuf take() {
        if (json == null) {
            return null;
        }
        try {
            json.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            json = null;
        }
        ByteBuf taken = buf;
        buf = null;
        return taken;
    }

    @Override
    public void close() {
        if (json != null) {
            ByteBuf dropped = buf;
            buf = null;
            try {
                json.close();
            } catch (IOException ignored) {
                // the buffer is released below either way
            } finally {
                json = null;
                dropped.release();
            }
        }
    }
}
