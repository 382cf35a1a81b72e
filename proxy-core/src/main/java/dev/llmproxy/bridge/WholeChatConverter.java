package dev.llmproxy.bridge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.exchange.BodyConverter;
import dev.llmproxy.exchange.HeldBody;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A non-stream chat completion gathered whole (bounded) and converted in one go into a bridged API's answer.
 * Aggregating: the exchange holds the response head until {@link #finish}. A body that is not a JSON object, or
 * larger than {@link #MAX_BYTES}, is refused ({@link IllegalStateException}: answered 502). Event-loop confined.
 */
public final class WholeChatConverter implements BodyConverter {
    /** A chat completion larger than this is not a plausible answer. */
    public static final int MAX_BYTES = 32 * 1024 * 1024;

    private final Function<ObjectNode, byte[]> convert;
    private final HeldBody body = new HeldBody();

    /** @param convert the bridged answer's bytes for the chat completion */
    public WholeChatConverter(Function<ObjectNode, byte[]> convert) {
        this.convert = convert;
    }

    @Override
    public boolean aggregates() {
        return true;
    }

    @Override
    public void onContent(ByteBuf chunk, ByteBufAllocator alloc, Consumer<ByteBuf> out) {
        if (body.size() + chunk.readableBytes() > MAX_BYTES) {
            throw new IllegalStateException("upstream response larger than " + MAX_BYTES + " bytes");
        }
        body.add(chunk, alloc);
    }

    @Override
    public void finish(ByteBufAllocator alloc, Consumer<ByteBuf> out) {
        ObjectNode completion = body.parseObject();
        if (completion == null) {
            throw new IllegalStateException("upstream response is not a JSON object");
        }
        out.accept(Unpooled.wrappedBuffer(convert.apply(completion)));
    }

    @Override
    public void close() {
        body.release();
    }
}
