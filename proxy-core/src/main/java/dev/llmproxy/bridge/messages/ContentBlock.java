package dev.llmproxy.bridge.messages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.llmproxy.openai.Json;

import java.io.IOException;

/**
 * One content block of a bridged Messages answer as it grows — {@code text}, {@code thinking} (with an empty
 * {@code signature}: there is nothing to sign) or {@code tool_use} — and its JSON as the API shows it. Confined to
 * its translator.
 */
final class ContentBlock {
    enum Kind { TEXT, THINKING, TOOL_USE }

    final Kind kind;
    /** The text, the thinking, or the tool call's JSON arguments. */
    final StringBuilder text = new StringBuilder();
    String id;
    String name;
    /** Anthropic's block index once started; -1 while held. */
    int index = -1;

    ContentBlock(Kind kind) {
        this.kind = kind;
    }

    /** The block as {@code content_block_start} shows it: empty. */
    ObjectNode renderStart() {
        ObjectNode node = Json.object();
        switch (kind) {
            case TEXT -> {
                node.put("type", "text");
                node.put("text", "");
            }
            case THINKING -> {
                node.put("type", "thinking");
                node.put("thinking", "");
                node.put("signature", "");
            }
            case TOOL_USE -> {
                node.put("type", "tool_use");
                node.put("id", id);
                node.put("name", name);
                node.putObject("input");
            }
        }
        return node;
    }

    /** The block whole. */
    ObjectNode render() {
        ObjectNode node = Json.object();
        switch (kind) {
            case TEXT -> {
                node.put("type", "text");
                node.put("text", text.toString());
            }
            case THINKING -> {
                node.put("type", "thinking");
                node.put("thinking", text.toString());
                node.put("signature", "");
            }
            case TOOL_USE -> {
                node.put("type", "tool_use");
                node.put("id", id);
                node.put("name", name);
                node.set("input", input(text.toString()));
            }
        }
        return node;
    }

    /** The call's arguments as the {@code input} object; arguments that are not a JSON object stay as their text. */
    private static JsonNode input(String arguments) {
        if (arguments.isBlank()) {
            return Json.object();
        }
        try {
            JsonNode parsed = Json.MAPPER.readTree(arguments);
            return parsed != null && parsed.isObject() ? parsed : new TextNode(arguments);
        } catch (IOException e) {
            return new TextNode(arguments);
        }
    }
}
