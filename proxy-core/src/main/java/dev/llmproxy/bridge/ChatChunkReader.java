package dev.llmproxy.bridge;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Reads chat answers — each {@code chat.completion.chunk} of a stream, or one whole {@code chat.completion} — and
 * tells a {@link ChatStreamListener} what they say: text, reasoning, tool-call fragments by index, the finish
 * reason, usage, an error object. The one reader both bridges use, so they agree on what an upstream said.
 *
 * <p>Only the first choice ({@code index} 0) is read: the bridged APIs have no {@code n}. Within a choice the order
 * is reasoning, text, tool calls, finish — the order a whole completion implies and streams use. A tool-call
 * fragment without {@code index} (some servers omit it) continues the previous call, or starts the next one when it
 * carries a new {@code id}.
 *
 * <p>One instance per answer (it remembers the last tool call for index-less fragments); not thread-safe.
 */
public final class ChatChunkReader {
    /** A tool-call index beyond this is not a plausible answer; refused rather than sizing arrays by it. */
    public static final int MAX_TOOL_CALLS = 1024;

    private final ChatStreamListener listener;
    private int lastToolIndex = -1;
    private String lastToolId;

    public ChatChunkReader(ChatStreamListener listener) {
        this.listener = listener;
    }

    /** One stream chunk: {@code choices[0].delta}, {@code finish_reason}, {@code usage}, or {@code error}. */
    public void readChunk(JsonNode chunk) {
        read(chunk, "delta");
    }

    /** A whole completion: {@code choices[0].message} is read as one delta carrying everything. */
    public void readCompletion(JsonNode completion) {
        read(completion, "message");
    }

    private void read(JsonNode answer, String part) {
        JsonNode error = answer.get("error");
        if (error != null && !error.isNull()) {
            listener.onError(ChatError.from(answer, "the upstream reported an error"));
            return;
        }
        JsonNode choices = answer.get("choices");
        if (choices != null && choices.isArray()) {
            int position = 0;
            for (JsonNode choice : choices) {
                if (choice.path("index").asInt(position) == 0) {
                    readChoice(choice, choice.path(part), "message".equals(part));
                }
                position++;
            }
        }
        ChatUsage usage = ChatUsage.from(answer.get("usage"));
        if (usage != null) {
            listener.onUsage(usage);
        }
    }

    private void readChoice(JsonNode choice, JsonNode delta, boolean whole) {
        String reasoning = text(delta, "reasoning_content");
        if (reasoning == null) {
            reasoning = text(delta, "reasoning");
        }
        if (reasoning != null) {
            listener.onReasoning(reasoning);
        }
        String content = text(delta, "content");
        if (content != null) {
            listener.onText(content);
        }
        String refusal = text(delta, "refusal");
        if (refusal != null) {
            listener.onText(refusal);
        }
        JsonNode toolCalls = delta.get("tool_calls");
        if (toolCalls != null && toolCalls.isArray()) {
            int position = 0;
            for (JsonNode call : toolCalls) {
                readToolCall(call, whole ? position : -1);
                position++;
            }
        }
        JsonNode finish = choice.get("finish_reason");
        if (finish != null && finish.isTextual()) {
            JsonNode stopReason = choice.get("stop_reason");
            listener.onFinish(finish.textValue(), stopReason != null && stopReason.isTextual()
                    ? stopReason.textValue() : null);
        }
    }

    private void readToolCall(JsonNode call, int position) {
        String id = text(call, "id");
        JsonNode function = call.path("function");
        String name = text(function, "name");
        JsonNode arguments = function.get("arguments");
        String fragment = arguments == null || arguments.isNull() ? ""
                : arguments.isTextual() ? arguments.textValue() : arguments.toString(); // a few servers send an object
        int index;
        JsonNode explicit = call.get("index");
        if (position >= 0) {
            index = position;
        } else if (explicit != null && explicit.canConvertToInt()) {
            index = explicit.intValue();
        } else if (lastToolIndex < 0 || (id != null && !id.equals(lastToolId))) {
            index = lastToolIndex + 1;
        } else {
            index = lastToolIndex;
        }
        if (index < 0 || index >= MAX_TOOL_CALLS) {
            throw new IllegalStateException("tool call index " + index + " out of range");
        }
        lastToolIndex = index;
        if (id != null) {
            lastToolId = id;
        }
        listener.onToolCall(index, id, name, fragment);
    }

    /** A non-empty string field, or null. */
    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.isTextual() && !value.textValue().isEmpty() ? value.textValue() : null;
    }
}
