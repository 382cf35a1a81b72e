package dev.llmproxy.exchange;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.TokenCounter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;

import java.io.IOException;
import java.io.InputStream;

/**
 * What token accounting of one response needs: the tokenizer and prompt for an estimate when the upstream reports
 * no usage, and whether the proxy asked for stream usage itself (then that usage event is removed from the stream).
 *
 * @param prompt      chat {@code messages} or embeddings {@code input} when the request was a tree; may be null
 * @param promptField when the request was not parsed into a tree: the member of the upstream body that holds the
 *                    prompt ({@code messages} or {@code input}), read only when an estimate needs it; else null
 */
public record Metering(TokenCounter counter, String model, JsonNode prompt, String promptField,
                       boolean usageInjected) {
    /**
     * A request body larger than this has its prompt estimated from its size (a quarter of its bytes) when the
     * upstream reports no usage: parsing and tokenizing it would hold the event loop the exchange ends on.
     */
    public static final int TOKENIZED_BODY_BYTES = 64 * 1024;

    /** A request whose prompt is already a tree. */
    public Metering(TokenCounter counter, String model, JsonNode prompt, boolean usageInjected) {
        this(counter, model, prompt, null, usageInjected);
    }

    /**
     * Prompt tokens for an estimate: the prompt tokenized when {@code upstreamBody} is at most
     * {@link #TOKENIZED_BODY_BYTES}, else a quarter of its bytes.
     */
    public long promptTokens(ByteBuf upstreamBody) {
        int bytes = upstreamBody.readableBytes();
        if (bytes > TOKENIZED_BODY_BYTES) {
            return (bytes + 3L) / 4;
        }
        return counter.countPrompt(prompt(upstreamBody), model);
    }

    /**
     * The prompt for an estimate: the tree given, else {@link #promptField} of {@code upstreamBody} parsed now — the
     * one place a peeked request is parsed after the fact, and only when the upstream reported no usage. Null when
     * there is none or the body cannot be read.
     */
    public JsonNode prompt(ByteBuf upstreamBody) {
        if (prompt != null || promptField == null) {
            return prompt;
        }
        try (InputStream in = new ByteBufInputStream(upstreamBody.duplicate())) {
            JsonNode body = Json.readTree(in);
            return body == null ? null : body.get(promptField);
        } catch (JsonProcessingException e) {
            return null;
        } catch (IOException e) {
            return null;
        }
    }
}
