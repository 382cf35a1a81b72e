package dev.llmproxy.exchange;

import dev.llmproxy.openai.ProxyError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.function.Consumer;

/**
 * Rewrites one response body. Either it {@link #aggregates()} — the exchange holds the response head back, feeds
 * every chunk, then sends {@link #finish} as one body (bounded JSON) — or it streams: each chunk may produce output at
 * once (SSE events). Event-loop confined; {@link #close()} releases whatever it holds.
 */
public interface BodyConverter extends AutoCloseable {

    boolean aggregates();

    /** The status the client gets; an aggregating converter may change it (a probe reports failures as data). */
    default HttpResponseStatus status(HttpResponseStatus upstream) {
        return upstream;
    }

    /** Consumes {@code chunk} (not released by the converter); converted output goes to {@code out}, which owns it. */
    void onContent(ByteBuf chunk, ByteBufAllocator alloc, Consumer<ByteBuf> out);

    /**
     * End of the upstream body. Streaming converters may emit a tail; aggregating ones return the whole converted
     * body. Throws {@link IllegalStateException} when the aggregated body cannot be converted (answered 502).
     */
    void finish(ByteBufAllocator alloc, Consumer<ByteBuf> out);

    /**
     * The upstream failed after this converter's stream started (reset, timeout, unreadable bytes): the final bytes
     * the client gets before the stream ends, in the converted protocol's own terms (a protocol bridge answers its
     * failure event rather than chat's {@code data: {"error":…}}). Called at most once, instead of {@link #finish};
     * {@link #close()} follows as usual.
     *
     * @return the final bytes, owned by the caller (empty when the stream already ended in its own terms), or null
     *         when the exchange's own error event fits this stream
     */
    default ByteBuf onStreamError(ProxyError error, ByteBufAllocator alloc) {
        return null;
    }

    @Override
    void close();
}
