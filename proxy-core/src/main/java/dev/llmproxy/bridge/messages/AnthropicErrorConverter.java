package dev.llmproxy.bridge.messages;

import dev.llmproxy.exchange.BodyConverter;
import dev.llmproxy.exchange.HeldBody;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

import java.util.function.Consumer;

/**
 * An upstream's error answer rewritten into Anthropic's envelope ({@link AnthropicError#fromUpstream}), status kept.
 * The body is held up to {@link #MAX_BYTES}; beyond that it is read and dropped, and the message says only the
 * status — an error body is never a reason to fail the answer. Aggregating; event-loop confined.
 */
final class AnthropicErrorConverter implements BodyConverter {
    static final int MAX_BYTES = 64 * 1024;

    private final int status;
    private final HeldBody body = new HeldBody();
    private boolean overflowed;

    AnthropicErrorConverter(int status) {
        this.status = status;
    }

    @Override
    public boolean aggregates() {
        return true;
    }

    @Override
    public void onContent(ByteBuf chunk, ByteBufAllocator alloc, Consumer<ByteBuf> out) {
        if (overflowed || body.size() + chunk.readableBytes() > MAX_BYTES) {
            overflowed = true;
            body.release();
            return;
        }
        body.add(chunk, alloc);
    }

    @Override
    public void finish(ByteBufAllocator alloc, Consumer<ByteBuf> out) {
        out.accept(Unpooled.wrappedBuffer(
                AnthropicError.fromUpstream(status, overflowed ? null : body.parseObject()).body()));
    }

    @Override
    public void close() {
        body.release();
    }
}
