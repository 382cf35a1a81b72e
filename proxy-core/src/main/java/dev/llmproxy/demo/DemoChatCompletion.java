package dev.llmproxy.demo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Renders the non-streaming {@code chat.completion} object, and the pieces both shapes share: ids and usage.
 *
 * <p>Threading: stateless.
 */
final class DemoChatCompletion {
    static final String SYSTEM_FINGERPRINT = "demo";

    private DemoChatCompletion() {
    }

    static String newId() {
        return "chatcmpl-demo-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    }

    static long nowSeconds() {
        return System.currentTimeMillis() / 1000;
    }

    /** The {@code chat.completion} object, in a buffer the caller owns. */
    static ByteBuf body(ByteBufAllocator alloc, String id, long created, DemoChatRequest request, DemoReply reply) {
        String content = reply.content();
        return DemoJsonWriter.write(alloc, 384L + request.model().length() + content.length() * 3L / 2, json -> {
            json.writeStartObject();
            json.writeStringField("id", id);
            json.writeStringField("object", "chat.completion");
            json.writeNumberField("created", created);
            json.writeStringField("model", request.model());
            json.writeArrayFieldStart("choices");
            json.writeStartObject();
            json.writeNumberField("index", 0);
            json.writeObjectFieldStart("message");
            json.writeStringField("role", "assistant");
            json.writeStringField("content", content);
            json.writeNullField("refusal");
            json.writeEndObject();
            json.writeNullField("logprobs");
            json.writeStringField("finish_reason", reply.finishReason());
            json.writeEndObject();
            json.writeEndArray();
            json.writeObjectFieldStart("usage");
            json.writeNumberField("prompt_tokens", reply.promptTokens());
            json.writeNumberField("completion_tokens", reply.completionTokens());
            json.writeNumberField("total_tokens", reply.totalTokens());
            json.writeEndObject();
            json.writeStringField("system_fingerprint", SYSTEM_FINGERPRINT);
            json.writeEndObject();
        });
    }

    static void usage(ObjectNode usage, DemoReply reply) {
        usage.put("prompt_tokens", reply.promptTokens());
        usage.put("completion_tokens", reply.completionTokens());
        usage.put("total_tokens", reply.totalTokens());
    }
}
