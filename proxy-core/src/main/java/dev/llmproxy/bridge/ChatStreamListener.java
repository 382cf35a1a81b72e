package dev.llmproxy.bridge;

/**
 * Receives what a chat answer says, in the order it says it, from {@link ChatChunkReader}: the same calls for a
 * stream (one chunk at a time) and for a whole completion (one chunk holding everything), so a bridge builds its
 * streamed events and its non-stream object from one translation.
 */
public interface ChatStreamListener {

    /** A piece of the assistant's text ({@code content}; a {@code refusal} is text too). Never empty. */
    void onText(String text);

    /** A piece of the model's reasoning ({@code reasoning_content} or {@code reasoning}). Never empty. */
    void onReasoning(String text);

    /**
     * A fragment of tool call {@code index} (chat's {@code tool_calls[].index}: fragments of one call share it, and
     * parallel calls may interleave). {@code id} and {@code name} are usually on the first fragment only (null
     * otherwise); {@code arguments} is the next piece of the JSON text, possibly empty, never null.
     */
    void onToolCall(int index, String id, String name, String arguments);

    /**
     * The choice ended. {@code stopSequence} is the stop string that ended it when the upstream says so (vLLM's
     * {@code stop_reason}), else null.
     */
    void onFinish(String finishReason, String stopSequence);

    void onUsage(ChatUsage usage);

    /** The upstream reported an error instead of (more) content. */
    void onError(ChatError error);
}
