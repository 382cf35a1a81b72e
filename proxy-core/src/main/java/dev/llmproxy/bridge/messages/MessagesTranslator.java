package dev.llmproxy.bridge.messages;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.bridge.ChatError;
import dev.llmproxy.bridge.ChatUsage;
import dev.llmproxy.bridge.Ids;
import dev.llmproxy.bridge.SseEventWriter;
import dev.llmproxy.bridge.StreamTranslator;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.ProxyError;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Translates one chat answer into an Anthropic Messages answer: the event stream when given a
 * {@link SseEventWriter}, and always the final {@code message} object — so a streamed answer and a non-stream one are
 * the same translation.
 *
 * <p>Content blocks ({@link ContentBlock}) follow the chat answer: reasoning becomes {@code thinking} blocks, text
 * {@code text} blocks, each tool call a {@code tool_use} block (chat's call id kept as its {@code id}). Anthropic's blocks are strictly sequential — one open at a time, closed
 * before the next starts — while chat may interleave the argument fragments of parallel calls. So one block streams
 * live; text or reasoning switch the live block when it is text or reasoning, but while a tool call is live, anything
 * else (another call's fragments, text) is held and sent, each held block whole (start, one delta, stop), once the
 * choice finishes. Upstreams that send calls one after another still stream the first call live and deliver the
 * others at the finish, which is when a client acts on them anyway.
 *
 * <p>The end: {@code message_delta} with {@code stop_reason} ({@code stop} is {@code end_turn}, or
 * {@code stop_sequence} when the upstream names one of the request's stop sequences; {@code length} is
 * {@code max_tokens}; {@code tool_calls} — or {@code stop} after tool calls — is {@code tool_use};
 * {@code content_filter} is {@code refusal}) and usage, then {@code message_stop}. Anthropic counts input without
 * cache reads: {@code input_tokens} is chat's prompt tokens minus cached ones, which go to
 * {@code cache_read_input_tokens}. An upstream error, or a stream that stops before a finish reason or
 * {@code [DONE]}, ends with an {@code error} event.
 *
 * <p>One instance per answer, confined to its event loop.
 */
final class MessagesTranslator implements StreamTranslator {
    private final MessagesCall call;
    private final long inputTokens;
    private final SseEventWriter events;
    private final Ids ids;
    private final String messageId;
    private final List<ContentBlock> blocks = new ArrayList<>();
    private final ArrayDeque<ContentBlock> held = new ArrayDeque<>();
    private ContentBlock[] calls = new ContentBlock[4];
    private ContentBlock live;
    private boolean started;
    private boolean ended;
    private boolean toolUsed;
    private String finishReason;
    private String stopSequence;
    private ChatUsage usage;
    private ObjectNode message;

    /**
     * @param inputTokens the prompt's tokens as counted before the call ({@link MessagesTokenCounter}), for
     *                    {@code message_start}; the upstream's own count replaces it at the end when it sends usage
     * @param events      where the stream's events go, or null for the final object only
     */
    MessagesTranslator(MessagesCall call, long inputTokens, Ids ids, SseEventWriter events) {
        this.call = call;
        this.inputTokens = inputTokens;
        this.ids = ids;
        this.events = events;
        this.messageId = ids.next("msg");
    }

    /** The final {@code message}; null until {@link #end}, and after a failure. */
    ObjectNode message() {
        return message;
    }

    /** Sends {@code message_start} and a {@code ping} once, before anything else. */
    @Override
    public void start() {
        if (started) {
            return;
        }
        started = true;
        if (events != null) {
            ObjectNode start = header();
            start.putArray("content");
            start.putNull("stop_reason");
            start.putNull("stop_sequence");
            ObjectNode startUsage = start.putObject("usage");
            startUsage.put("input_tokens", inputTokens);
            startUsage.put("output_tokens", 0);
            events.begin("message_start").field("message", start).end();
            events.begin("ping").end();
        }
    }

    @Override
    public void onText(String text) {
        content(ContentBlock.Kind.TEXT, text);
    }

    @Override
    public void onReasoning(String text) {
        content(ContentBlock.Kind.THINKING, text);
    }

    private void content(ContentBlock.Kind kind, String text) {
        if (ended) {
            return;
        }
        start();
        if (live != null && live.kind == ContentBlock.Kind.TOOL_USE) {
            ContentBlock last = held.peekLast();
            if (last == null || last.kind != kind) {
                last = new ContentBlock(kind);
                held.add(last);
            }
            last.text.append(text);
            return;
        }
        if (live != null && live.kind != kind) {
            stop(live);
        }
        if (live == null) {
            live = begin(new ContentBlock(kind));
        }
        live.text.append(text);
        delta(live, text);
    }

    @Override
    public void onToolCall(int index, String id, String name, String arguments) {
        if (ended) {
            return;
        }
        start();
        if (index >= calls.length) {
            calls = Arrays.copyOf(calls, Math.max(index + 1, calls.length * 2));
        }
        ContentBlock tool = calls[index];
        if (tool == null) {
            tool = new ContentBlock(ContentBlock.Kind.TOOL_USE);
            tool.id = id != null ? id : ids.next("toolu");
            tool.name = name;
            calls[index] = tool;
            toolUsed = true;
            if (name != null && (live == null || live.kind != ContentBlock.Kind.TOOL_USE)) {
                if (live != null) {
                    stop(live);
                }
                live = begin(tool);
            } else {
                held.add(tool); // behind the live call, or nameless until a later fragment names it
            }
        } else if (tool.name == null) {
            tool.name = name;
        }
        tool.text.append(arguments);
        if (tool == live && !arguments.isEmpty()) {
            delta(tool, arguments);
        }
    }

    @Override
    public void onFinish(String reason, String stopSequence) {
        if (ended) {
            return;
        }
        start();
        finishReason = reason;
        this.stopSequence = stopSequence;
        closeBlocks();
    }

    @Override
    public void onUsage(ChatUsage usage) {
        this.usage = usage;
    }

    @Override
    public void onError(ChatError error) {
        if (ended) {
            return;
        }
        String type = "rate_limit_exceeded".equals(error.type()) || "rate_limit_exceeded".equals(error.code())
                ? "rate_limit_error" : "api_error";
        fail(type, error.message());
    }

    /** The proxy ended the stream early (upstream reset, timeout, unreadable bytes): an {@code error} event. */
    @Override
    public void fail(ProxyError error) {
        fail(AnthropicError.type(error.status()), error.message());
    }

    /**
     * The chat answer ended ({@code [DONE]}, or the end of the upstream body). Without a finish reason or
     * {@code [DONE]} the answer was cut short: an {@code error} event instead of the end.
     */
    @Override
    public void end(boolean sawDone) {
        if (ended) {
            return;
        }
        if (finishReason == null && !sawDone) {
            fail("api_error", "the upstream stream ended before the message was complete");
            return;
        }
        start();
        closeBlocks();
        ended = true;
        String stopReason = stopReason();
        String matchedSequence = "stop_sequence".equals(stopReason) ? stopSequence : null;
        if (events != null) {
            events.begin("message_delta").startObject("delta").field("stop_reason", stopReason)
                    .field("stop_sequence", matchedSequence).endObject().field("usage", usage(false)).end();
            events.begin("message_stop").end();
        }
        message = header();
        ArrayNode content = message.putArray("content");
        for (ContentBlock block : blocks) {
            content.add(block.render());
        }
        message.put("stop_reason", stopReason);
        message.put("stop_sequence", matchedSequence);
        message.set("usage", usage(true));
    }

    private void fail(String type, String text) {
        if (ended) {
            return;
        }
        start();
        ended = true;
        if (events != null) {
            AnthropicError.event(events, type, text);
        }
    }

    private String stopReason() {
        if (finishReason == null) {
            return toolUsed ? "tool_use" : "end_turn";
        }
        return switch (finishReason) {
            case "length" -> "max_tokens";
            case "tool_calls", "function_call" -> "tool_use";
            case "content_filter" -> "refusal";
            default -> stopSequence != null && call.stopSequences().contains(stopSequence) ? "stop_sequence"
                    : toolUsed ? "tool_use" : "end_turn";
        };
    }

    /** Stops the live block, then sends every held block whole, in the order they were held. */
    private void closeBlocks() {
        if (live != null) {
            stop(live);
        }
        while (!held.isEmpty()) {
            ContentBlock block = held.poll();
            if (block.kind == ContentBlock.Kind.TOOL_USE && block.name == null) {
                block.name = "";
            }
            begin(block);
            if (!block.text.isEmpty()) {
                delta(block, block.text.toString());
            }
            stop(block);
        }
    }

    private ContentBlock begin(ContentBlock block) {
        block.index = blocks.size();
        blocks.add(block);
        if (events != null) {
            events.begin("content_block_start").field("index", block.index)
                    .field("content_block", block.renderStart()).end();
        }
        return block;
    }

    private void delta(ContentBlock block, String text) {
        if (events == null) {
            return;
        }
        events.begin("content_block_delta").field("index", block.index).startObject("delta");
        switch (block.kind) {
            case TEXT -> events.field("type", "text_delta").field("text", text);
            case THINKING -> events.field("type", "thinking_delta").field("thinking", text);
            case TOOL_USE -> events.field("type", "input_json_delta").field("partial_json", text);
        }
        events.endObject().end();
    }

    private void stop(ContentBlock block) {
        if (block == live) {
            live = null;
        }
        if (events != null) {
            events.begin("content_block_stop").field("index", block.index).end();
        }
    }

    private ObjectNode header() {
        ObjectNode node = Json.object();
        node.put("id", messageId);
        node.put("type", "message");
        node.put("role", "assistant");
        node.put("model", call.model());
        return node;
    }

    /** The whole message's usage, or the final {@code message_delta}'s (which leaves out the start's estimate). */
    private ObjectNode usage(boolean whole) {
        ObjectNode node = Json.object();
        if (usage != null) {
            node.put("input_tokens", usage.uncachedPromptTokens());
            node.put("cache_creation_input_tokens", 0);
            node.put("cache_read_input_tokens", usage.cachedTokens());
        } else if (whole) {
            node.put("input_tokens", inputTokens);
        }
        node.put("output_tokens", usage == null ? 0 : usage.completionTokens());
        return node;
    }
}
