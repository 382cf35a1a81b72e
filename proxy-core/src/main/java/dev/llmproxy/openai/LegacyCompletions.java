package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;

/**
 * Translates the legacy {@code POST /v1/completions} API to chat completions and back, for upstreams (GitHub
 * Models) that only speak chat. Pure functions over Jackson trees; inputs are never modified, so they are safe to
 * call from any thread.
 */
public final class LegacyCompletions {
    private static final String TEXT_COMPLETION = "text_completion";

    private LegacyCompletions() {
    }

    /**
     * A new chat request with every field of {@code completionRequest} in its order, except:
     * <ul>
     *   <li>{@code prompt} becomes {@code messages}, at the same position: a string is one user message; an array is
     *       one user message per element, strings as they are and any other element as its JSON text (a token array
     *       {@code [1,2]} becomes the text {@code "[1,2]"}, which the chat API reads as text, not tokens); any other
     *       JSON value is one user message holding its JSON text. A {@code messages} field the client also sent
     *       is dropped: this endpoint's input is the prompt.</li>
     *   <li>{@code echo}, {@code suffix} and {@code best_of} are dropped: chat has no equivalent.</li>
     *   <li>{@code logprobs: n} becomes {@code logprobs: true, top_logprobs: n} when n &gt; 0, and is dropped when 0
     *       or null; any other value is passed on for upstream to judge.</li>
     * </ul>
     * The caller has already checked that {@code model} and {@code prompt} are present.
     */
    public static ObjectNode toChatRequest(ObjectNode completionRequest) {
        ObjectNode chat = Json.object();
        for (Map.Entry<String, JsonNode> field : completionRequest.properties()) {
            String name = field.getKey();
            JsonNode value = field.getValue();
            switch (name) {
                case "prompt" -> chat.set("messages", messages(value));
                case "messages", "echo", "suffix", "best_of" -> {
                }
                case "logprobs" -> {
                    if (value.isIntegralNumber()) {
                        if (value.bigIntegerValue().signum() > 0) {
                            chat.put("logprobs", true);
                            chat.set("top_logprobs", value.deepCopy());
                        }
                    } else if (!value.isNull()) {
                        chat.set(name, value.deepCopy());
                    }
                }
                default -> chat.set(name, value.deepCopy());
            }
        }
        return chat;
    }

    private static ArrayNode messages(JsonNode prompt) {
        ArrayNode messages = Json.MAPPER.createArrayNode();
        if (prompt.isArray()) {
            prompt.forEach(element -> addUserMessage(messages, element));
        } else {
            addUserMessage(messages, prompt);
        }
        return messages;
    }

    private static void addUserMessage(ArrayNode messages, JsonNode content) {
        ObjectNode message = messages.addObject();
        message.put("role", "user");
        message.put("content", content.isTextual() ? content.textValue() : content.toString());
    }

    /**
     * The legacy response for a chat completion: every choice's {@code message.content} (or {@code ""}) becomes its
     * {@code text}; {@code finish_reason} defaults to {@code "stop"}; {@code logprobs} is null because chat's
     * per-token shape does not translate to the legacy one. {@code usage} and {@code system_fingerprint} are copied
     * when upstream sent them.
     *
     * @param requestModel the model string the client sent, echoed as clients of this API expect
     */
    public static ObjectNode toCompletionResponse(JsonNode chatCompletion, String requestModel,
                                                  long createdEpochSeconds) {
        ObjectNode completion = header(chatCompletion, requestModel, createdEpochSeconds);
        ArrayNode choices = completion.putArray("choices");
        int position = 0;
        for (JsonNode choice : chatCompletion.path("choices")) {
            JsonNode finishReason = choice.path("finish_reason");
            addChoice(choices, choice, position++, choice.path("message").path("content"),
                    finishReason.isTextual() ? finishReason.textValue() : "stop");
        }
        copyIfPresent(chatCompletion, completion, "usage");
        return completion;
    }

    /**
     * The legacy stream chunk for a chat stream chunk: {@code delta.content} (or {@code ""}) becomes {@code text},
     * {@code finish_reason} is upstream's (null until the last chunk). A usage-only chunk ({@code choices: []} plus
     * {@code usage}) keeps that shape.
     */
    public static ObjectNode toCompletionChunk(JsonNode chatChunk, String requestModel, long createdEpochSeconds) {
        ObjectNode completion = header(chatChunk, requestModel, createdEpochSeconds);
        ArrayNode choices = completion.putArray("choices");
        int position = 0;
        for (JsonNode choice : chatChunk.path("choices")) {
            JsonNode finishReason = choice.path("finish_reason");
            addChoice(choices, choice, position++, choice.path("delta").path("content"),
                    finishReason.isTextual() ? finishReason.textValue() : null);
        }
        copyIfPresent(chatChunk, completion, "usage");
        return completion;
    }

    private static ObjectNode header(JsonNode chat, String requestModel, long createdEpochSeconds) {
        ObjectNode completion = Json.object();
        JsonNode id = chat.get("id");
        completion.set("id", id == null ? null : id.deepCopy());
        completion.put("object", TEXT_COMPLETION);
        completion.put("created", createdEpochSeconds);
        completion.put("model", requestModel);
        copyIfPresent(chat, completion, "system_fingerprint");
        return completion;
    }

    private static void addChoice(ArrayNode choices, JsonNode choice, int position, JsonNode content,
                                  String finishReason) {
        ObjectNode legacy = choices.addObject();
        legacy.put("text", content.isTextual() ? content.textValue() : "");
        JsonNode index = choice.path("index");
        if (index.isIntegralNumber()) {
            legacy.set("index", index.deepCopy());
        } else {
            legacy.put("index", position);
        }
        legacy.putNull("logprobs");
        legacy.put("finish_reason", finishReason);
    }

    private static void copyIfPresent(JsonNode from, ObjectNode to, String key) {
        JsonNode value = from.get(key);
        if (value != null && !value.isNull()) {
            to.set(key, value.deepCopy());
        }
    }
}
