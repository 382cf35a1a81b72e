package dev.llmproxy.demo;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.Json;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Encodes the SSE events of one streamed chat reply: {@code data: <chat.completion.chunk>\n\n}. The per-token
 * events are the hot path of a streaming bench, so they are stitched from a prefix and suffix rendered once per
 * stream and each token's pre-escaped bytes, instead of serialising a JSON tree per token.
 *
 * <p>Threading: immutable after construction; used on the connection's event loop.
 */
final class DemoChatChunks {
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);
    /** Stands in for a token while the template is rendered; plain ASCII, so JSON escaping leaves it as is. */
    private static final String MARKER = "@@demo-token@@";

    private final String id;
    private final long created;
    private final String model;
    private final boolean includeUsage;
    private final byte[] tokenPrefix;
    private final byte[] tokenSuffix;
    private final byte[][] escapedTokens;

    DemoChatChunks(String id, long created, String model, boolean includeUsage, List<String> tokens) {
        this.id = id;
        this.created = created;
        this.model = model;
        this.includeUsage = includeUsage;
        ObjectNode delta = Json.object().put("content", MARKER);
        String template = "data: " + new String(Json.bytes(chunk(delta, null)), StandardCharsets.UTF_8) + "\n\n";
        // The last occurrence: the model id, rendered earlier in the object, could contain the marker too.
        int at = template.lastIndexOf(MARKER);
        this.tokenPrefix = template.substring(0, at).getBytes(StandardCharsets.UTF_8);
        this.tokenSuffix = template.substring(at + MARKER.length()).getBytes(StandardCharsets.UTF_8);
        JsonStringEncoder encoder = JsonStringEncoder.getInstance();
        this.escapedTokens = new byte[tokens.size()][];
        for (int i = 0; i < escapedTokens.length; i++) {
            escapedTokens[i] = encoder.quoteAsUTF8(tokens.get(i));
        }
    }

    /** The first event: {@code delta: {role: "assistant", content: ""}}. */
    ByteBuf role(ByteBufAllocator alloc) {
        return event(alloc, chunk(Json.object().put("role", "assistant").put("content", ""), null));
    }

    /** The event carrying token {@code index}. */
    ByteBuf token(ByteBufAllocator alloc, int index) {
        byte[] token = escapedTokens[index];
        ByteBuf buf = alloc.buffer(tokenPrefix.length + token.length + tokenSuffix.length);
        return buf.writeBytes(tokenPrefix).writeBytes(token).writeBytes(tokenSuffix);
    }

    /** The event with an empty delta and the finish reason. */
    ByteBuf finish(ByteBufAllocator alloc, String finishReason) {
        return event(alloc, chunk(Json.object(), finishReason));
    }

    /** The usage-only event sent when the client asked for {@code stream_options.include_usage}. */
    ByteBuf usage(ByteBufAllocator alloc, DemoReply reply) {
        ObjectNode chunk = header();
        chunk.putArray("choices");
        DemoChatCompletion.usage(chunk.putObject("usage"), reply);
        return event(alloc, chunk);
    }

    static ByteBuf done(ByteBufAllocator alloc) {
        return alloc.buffer(DONE.length).writeBytes(DONE);
    }

    private ObjectNode chunk(ObjectNode delta, String finishReason) {
        ObjectNode chunk = header();
        ArrayNode choices = chunk.putArray("choices");
        ObjectNode choice = choices.addObject();
        choice.put("index", 0);
        choice.set("delta", delta);
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        if (includeUsage) {
            // OpenAI marks every chunk but the usage one with usage:null when usage was asked for.
            chunk.putNull("usage");
        }
        return chunk;
    }

    private ObjectNode header() {
        ObjectNode chunk = Json.object();
        chunk.put("id", id);
        chunk.put("object", "chat.completion.chunk");
        chunk.put("created", created);
        chunk.put("model", model);
        chunk.put("system_fingerprint", DemoChatCompletion.SYSTEM_FINGERPRINT);
        return chunk;
    }

    private static ByteBuf event(ByteBufAllocator alloc, ObjectNode chunk) {
        byte[] json = Json.bytes(chunk);
        ByteBuf buf = alloc.buffer(DATA.length + json.length + END.length);
        return buf.writeBytes(DATA).writeBytes(json).writeBytes(END);
    }
}
