package dev.llmproxy.bridge.messages;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.TokenCounter;

/**
 * {@code POST /v1/messages/count_tokens} without an upstream call: the prompt tokens of exactly the chat request the
 * bridge sends, by {@link TokenCounter} for the upstream model's tokenizer — {@link TokenCounter#countChat} over the
 * messages (system included) plus {@link TokenCounter#countTools} over the tools. It is the count an OpenAI model
 * would report for the bridged request (tools by OpenAI's published accounting, an estimate for nested schemas);
 * for other publishers' models it is the {@code cl100k_base} estimate {@link TokenCounter} documents. Images are not
 * counted.
 *
 * <p>Use: the count_tokens route bridges the body with {@link MessagesRequestBridge#toChatForCount}, resolves the
 * model to its upstream id, and answers {@link #responseBody}({@link #count}); the messages route may pass the same
 * count to {@link MessagesConverter} for {@code message_start}. CPU work proportional to the prompt; thread-safe.
 */
public final class MessagesTokenCounter {
    private final TokenCounter counter;

    public MessagesTokenCounter(TokenCounter counter) {
        this.counter = counter;
    }

    /** Prompt tokens of the bridged request, for {@code upstreamModel}'s tokenizer. */
    public int count(MessagesCall call, String upstreamModel) {
        ObjectNode chat = call.chatRequest();
        return counter.countChat(chat.get("messages"), upstreamModel)
                + counter.countTools(chat.get("tools"), upstreamModel);
    }

    /** {@code {"input_tokens": n}}, the count_tokens answer. */
    public static byte[] responseBody(int inputTokens) {
        ObjectNode body = Json.object();
        body.put("input_tokens", inputTokens);
        return Json.bytes(body);
    }
}
