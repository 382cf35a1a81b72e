package dev.llmproxy.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;

/**
 * A request body gathered up to a cap. Parts are kept as components of one composite buffer (no copy). Past the cap
 * everything is dropped at once, so a client can never make the proxy hold more than {@code cap} bytes of its body.
 * Event-loop confined.
 */
final class RequestBody {
    private final int cap;
    private final ByteBufAllocator alloc;
    private CompositeByteBuf parts;
    private int size;

    RequestBody(ByteBufAllocator alloc, int cap) {
        this.alloc = alloc;
        this.cap = cap;
    }

    /** Keeps {@code part} (retaining it; the caller still releases its own reference). False once over the cap. */
    boolean add(ByteBuf part) {
        int n = part.readableBytes();
        if (n == 0) {
            return true;
        }
        if ((long) size + n > cap) {
            release();
            return false;
        }
        if (parts == null) {
            parts = alloc.compositeBuffer(64);
        }
        parts.addComponent(true, part.retain());
        size += n;
        return true;
    }

    int size() {
        return size;
    }

    /** A body already read whole (the decoded form of a compressed one); takes ownership of {@code whole}. */
    static RequestBody of(ByteBuf whole, ByteBufAllocator alloc) {
        RequestBody body = new RequestBody(alloc, Integer.MAX_VALUE);
        body.parts = alloc.compositeBuffer(1).addComponent(true, whole);
        body.size = whole.readableBytes();
        return body;
    }

    /** Hands the body over to the caller, who must release it; this object is empty afterwards. */
    ByteBuf take() {
        ByteBuf body = parts == null ? Unpooled.EMPTY_BUFFER : parts;
        parts = null;
        size = 0;
        return body;
    }

    void release() {
        if (parts != null) {
            parts.release();
            parts = null;
        }
        size = 0;
    }
}
