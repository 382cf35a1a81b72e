package dev.llmproxy.demo;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.llmproxy.openai.Json;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Streams JSON with Jackson straight into a pooled buffer, for the bodies the simulator writes on every request:
 * no intermediate tree or byte array. The buffer is released if writing fails.
 *
 * <p>Threading: stateless.
 */
final class DemoJsonWriter {
    /** Never start with more than this, however large the estimate: the buffer grows as needed. */
    private static final int MAX_INITIAL_CAPACITY = 1 << 20;

    @FunctionalInterface
    interface Body {
        void write(JsonGenerator json) throws IOException;
    }

    private DemoJsonWriter() {
    }

    /** A new buffer the caller owns, holding what {@code body} wrote. */
    static ByteBuf write(ByteBufAllocator alloc, long sizeEstimate, Body body) {
        ByteBuf buf = alloc.buffer((int) Math.max(64, Math.min(sizeEstimate, MAX_INITIAL_CAPACITY)));
        try (JsonGenerator json = Json.MAPPER.getFactory().createGenerator((OutputStream) new ByteBufOutputStream(buf))) {
            body.write(json);
        } catch (IOException e) {
            buf.release();
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            buf.release();
            throw e;
        }
        return buf;
    }
}
