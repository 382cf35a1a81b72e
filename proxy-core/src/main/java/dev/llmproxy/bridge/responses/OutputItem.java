package dev.llmproxy.bridge.responses;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.Json;

/**
 * One output item of a bridged Responses answer as it grows — a {@code message} with one {@code output_text} part,
 * a {@code reasoning} item with one {@code reasoning_text} part, or a {@code function_call} — and its JSON as the API
 * shows it. Confined to its translator.
 */
final class OutputItem {
    enum Kind { MESSAGE, REASONING, FUNCTION_CALL }

    final Kind kind;
    final int outputIndex;
    final String id;
    /** The message's text, the reasoning's text, or the call's arguments. */
    final StringBuilder text = new StringBuilder();
    String callId;
    String name;
    /** {@code output_item.added} went out (a call waits for its name). */
    boolean added;
    /** Null while open; the item's final status once closed. */
    String status;

    OutputItem(Kind kind, int outputIndex, String id) {
        this.kind = kind;
        this.outputIndex = outputIndex;
        this.id = id;
    }

    /** The item as {@code output_item.added} shows it: in progress, nothing in it yet. */
    ObjectNode renderAdded() {
        return render(true);
    }

    /** The item whole; an item still open (a failed answer) shows as {@code incomplete}. */
    ObjectNode render() {
        return render(false);
    }

    private ObjectNode render(boolean added) {
        ObjectNode node = Json.object();
        node.put("id", id);
        String shown = added ? "in_progress" : status != null ? status : "incomplete";
        switch (kind) {
            case MESSAGE -> {
                node.put("type", "message");
                node.put("status", shown);
                ArrayNode content = node.putArray("content");
                if (!added) {
                    content.add(part(text.toString()));
                }
                node.put("role", "assistant");
            }
            case REASONING -> {
                node.put("type", "reasoning");
                node.putArray("summary");
                ArrayNode content = node.putArray("content");
                if (!added) {
                    content.add(part(text.toString()));
                }
                node.put("status", shown);
            }
            case FUNCTION_CALL -> {
                node.put("type", "function_call");
                node.put("status", shown);
                node.put("arguments", added ? "" : text.toString());
                node.put("call_id", callId);
                node.put("name", name == null ? "" : name);
            }
        }
        return node;
    }

    /** The item's content part holding {@code text}: {@code output_text}, or {@code reasoning_text}. */
    ObjectNode part(String text) {
        ObjectNode part = Json.object();
        if (kind == Kind.REASONING) {
            part.put("type", "reasoning_text");
            part.put("text", text);
        } else {
            part.put("type", "output_text");
            part.putArray("annotations");
            part.putArray("logprobs");
            part.put("text", text);
        }
        return part;
    }
}
