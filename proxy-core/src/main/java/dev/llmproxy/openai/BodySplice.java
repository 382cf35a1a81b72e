package dev.llmproxy.openai;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;

/**
 * Builds the body that goes upstream from the client's bytes and a {@link RequestPeek} of them: the last
 * {@code model} value replaced by another id and/or {@code stream_options.include_usage: true} set, every other byte
 * as the client sent it. The result is a composite of slices of the client's buffer around the new bytes: nothing of
 * the body is copied. Parsed, it is the JSON value the tree path's rewrite gives (duplicate keys count by their last
 * occurrence there, and the last is the one replaced here).
 *
 * <p>Stateless; a call owns nothing it is given and returns a buffer the caller owns.
 */
public final class BodySplice {
    private static final byte[] TRUE = "true".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OPTIONS_OBJECT = "{\"include_usage\":true}".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OPTIONS_MEMBER = ",\"stream_options\":{\"include_usage\":true}"
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] USAGE_MEMBER = "\"include_usage\":true".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] USAGE_MEMBER_AFTER = ",\"include_usage\":true".getBytes(StandardCharsets.US_ASCII);

    private BodySplice() {
    }

    /**
     * The client's body with the edits applied; a retained duplicate of it when there are none.
     *
     * @param client      the client's body, read from its reader index (the peek's offsets start there); not released
     * @param peek        the peek of exactly these bytes
     * @param model       the id to put in place of the client's {@code model}, or null to keep it
     * @param injectUsage set {@code stream_options.include_usage: true} (only when {@code peek.usageEdit()} is not
     *                    {@code NONE})
     */
    public static ByteBuf splice(ByteBuf client, RequestPeek peek, String model, boolean injectUsage) {
        boolean usage = injectUsage && peek.usageEdit != RequestPeek.UsageEdit.NONE;
        if (model == null && !usage) {
            return client.retainedDuplicate();
        }
        byte[] modelBytes = model == null ? null : quoted(model);
        byte[] usageBytes = usage ? usageBytes(peek) : null;
        // at most two edits, in different top-level members or the body's end: order them by offset
        int firstStart = -1;
        int firstEnd = -1;
        byte[] first = null;
        int secondStart = -1;
        int secondEnd = -1;
        byte[] second = null;
        if (modelBytes != null && usageBytes != null) {
            boolean modelFirst = peek.modelStart < peek.usageStart;
            firstStart = modelFirst ? peek.modelStart : peek.usageStart;
            firstEnd = modelFirst ? peek.modelEnd : peek.usageEnd;
            first = modelFirst ? modelBytes : usageBytes;
            secondStart = modelFirst ? peek.usageStart : peek.modelStart;
            secondEnd = modelFirst ? peek.usageEnd : peek.modelEnd;
            second = modelFirst ? usageBytes : modelBytes;
        } else if (modelBytes != null) {
            firstStart = peek.modelStart;
            firstEnd = peek.modelEnd;
            first = modelBytes;
        } else {
            firstStart = peek.usageStart;
            firstEnd = peek.usageEnd;
            first = usageBytes;
        }
        int base = client.readerIndex();
        int length = client.readableBytes();
        CompositeByteBuf out = Unpooled.compositeBuffer(5);
        try {
            addSlice(out, client, base, 0, firstStart);
            out.addComponent(true, Unpooled.wrappedBuffer(first));
            int from = firstEnd;
            if (second != null) {
                addSlice(out, client, base, from, secondStart);
                out.addComponent(true, Unpooled.wrappedBuffer(second));
                from = secondEnd;
            }
            addSlice(out, client, base, from, length);
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }

    private static void addSlice(CompositeByteBuf out, ByteBuf client, int base, int from, int to) {
        if (to > from) {
            out.addComponent(true, client.retainedSlice(base + from, to - from));
        }
    }

    private static byte[] usageBytes(RequestPeek peek) {
        return switch (peek.usageEdit) {
            case ADD_OPTIONS -> OPTIONS_MEMBER;
            case REPLACE_OPTIONS -> OPTIONS_OBJECT;
            case ADD_MEMBER -> peek.optionsEmpty() ? USAGE_MEMBER : USAGE_MEMBER_AFTER;
            case REPLACE_MEMBER -> TRUE;
            case NONE -> throw new IllegalArgumentException("no usage edit");
        };
    }

    /** {@code value} as a JSON string literal in UTF-8. */
    private static byte[] quoted(String value) {
        byte[] inner = JsonStringEncoder.getInstance().quoteAsUTF8(value);
        byte[] out = new byte[inner.length + 2];
        out[0] = '"';
        System.arraycopy(inner, 0, out, 1, inner.length);
        out[out.length - 1] = '"';
        return out;
    }
}
