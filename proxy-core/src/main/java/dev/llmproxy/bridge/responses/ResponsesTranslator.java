package dev.llmproxy.bridge.responses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.bridge.ChatError;
import dev.llmproxy.bridge.ChatUsage;
import dev.llmproxy.bridge.Ids;
import dev.llmproxy.bridge.SseEventWriter;
import dev.llmproxy.bridge.StreamTranslator;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.ProxyError;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Translates one chat answer into a Responses API answer: the typed event stream when given a
 * {@link SseEventWriter}, and always the final {@code response} object — so a streamed answer and a non-stream one
 * are the same translation.
 *
 * <p>Output items ({@link OutputItem}) follow the chat answer: reasoning ({@code reasoning_content}/{@code reasoning}) becomes a
 * {@code reasoning} item with {@code reasoning_text} content, text a {@code message} item with one
 * {@code output_text} part, and every tool call (by chat's {@code index}; parallel calls included, their fragments
 * interleaved or not) a {@code function_call} item whose arguments stream as they arrive. A change of kind closes
 * the open reasoning or message item; function calls stay open until the choice finishes. Every event carries
 * {@code sequence_number} from 0; items are numbered by {@code output_index} in the order they open.
 *
 * <p>The end: {@code response.completed}, or {@code response.incomplete} with {@code incomplete_details.reason}
 * {@code max_output_tokens} (finish {@code length}) or {@code content_filter}, as the API sends it; an upstream
 * error, or a stream that stops before a finish reason or {@code [DONE]}, ends with {@code response.failed}.
 *
 * <p>One instance per answer, confined to its event loop.
 */
final class ResponsesTranslator implements StreamTranslator {
    private final ObjectNode template;
    private final Ids ids;
    private final long createdAt;
    private final SseEventWriter events;
    private final String responseId;
    private final List<OutputItem> output = new ArrayList<>();
    private OutputItem[] calls = new OutputItem[4];
    private OutputItem openMessage;
    private OutputItem openReasoning;
    private long sequence;
    private boolean started;
    private boolean ended;
    private String finishReason;
    private ChatUsage usage;
    private ObjectNode response;

    /**
     * @param template  the request's {@link ResponsesCall#responseTemplate()}
     * @param createdAt {@code created_at}, epoch seconds
     * @param events    where the stream's events go, or null for the final object only
     */
    ResponsesTranslator(ObjectNode template, Ids ids, long createdAt, SseEventWriter events) {
        this.template = template;
        this.ids = ids;
        this.createdAt = createdAt;
        this.events = events;
        this.responseId = ids.next("resp");
    }

    /** The final {@code response} object; null until {@link #end} or a failure. */
    ObjectNode response() {
        return response;
    }

    /** Sends {@code response.created} and {@code response.in_progress} once, before anything else. */
    @Override
    public void start() {
        if (started) {
            return;
        }
        started = true;
        if (events != null) {
            event("response.created").field("response", responseObject("in_progress", null, null)).end();
            event("response.in_progress").field("response", responseObject("in_progress", null, null)).end();
        }
    }

    @Override
    public void onReasoning(String text) {
        if (ended) {
            return;
        }
        start();
        close(openMessage);
        if (openReasoning == null) {
            openReasoning = open(OutputItem.Kind.REASONING, "rs");
            contentPart("response.content_part.added", openReasoning);
        }
        openReasoning.text.append(text);
        if (events != null) {
            event("response.reasoning_text.delta").field("item_id", openReasoning.id)
                    .field("output_index", openReasoning.outputIndex).field("content_index", 0)
                    .field("delta", text).end();
        }
    }

    @Override
    public void onText(String text) {
        if (ended) {
            return;
        }
        start();
        close(openReasoning);
        if (openMessage == null) {
            openMessage = open(OutputItem.Kind.MESSAGE, "msg");
            contentPart("response.content_part.added", openMessage);
        }
        openMessage.text.append(text);
        if (events != null) {
            event("response.output_text.delta").field("item_id", openMessage.id)
                    .field("output_index", openMessage.outputIndex).field("content_index", 0)
                    .field("delta", text).emptyArray("logprobs").end();
        }
    }

    @Override
    public void onToolCall(int index, String id, String name, String arguments) {
        if (ended) {
            return;
        }
        start();
        close(openReasoning);
        close(openMessage);
        if (index >= calls.length) {
            calls = Arrays.copyOf(calls, Math.max(index + 1, calls.length * 2));
        }
        OutputItem call = calls[index];
        if (call == null) {
            call = new OutputItem(OutputItem.Kind.FUNCTION_CALL, output.size(), ids.next("fc"));
            call.callId = id != null ? id : ids.next("call");
            output.add(call);
            calls[index] = call;
        }
        if (call.name == null) {
            call.name = name;
        }
        call.text.append(arguments);
        if (!call.added && call.name != null) {
            added(call);
            if (!call.text.isEmpty()) {
                argumentsDelta(call, call.text.toString());
            }
        } else if (call.added && !arguments.isEmpty()) {
            argumentsDelta(call, arguments);
        }
    }

    @Override
    public void onFinish(String reason, String stopSequence) {
        if (ended) {
            return;
        }
        start();
        finishReason = reason;
        closeAll();
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
        boolean rateLimited = "rate_limit_exceeded".equals(error.type()) || "rate_limit_exceeded".equals(error.code())
                || "rate_limit".equals(error.code());
        fail(rateLimited ? "rate_limit_exceeded" : "server_error", error.message());
    }

    /** The proxy ended the stream early (upstream reset, timeout, unreadable bytes): {@code response.failed}. */
    @Override
    public void fail(ProxyError error) {
        fail(error.status() == 429 ? "rate_limit_exceeded" : "server_error", error.message());
    }

    /**
     * The chat answer ended ({@code [DONE]}, or the end of the upstream body). Without a finish reason or
     * {@code [DONE]} the answer was cut short and the response fails.
     */
    @Override
    public void end(boolean sawDone) {
        if (ended) {
            return;
        }
        if (finishReason == null && !sawDone) {
            fail("server_error", "the upstream stream ended before the response was complete");
            return;
        }
        start();
        closeAll();
        ended = true;
        String incompleteReason = incompleteReason();
        ObjectNode details = null;
        if (incompleteReason != null) {
            details = Json.object();
            details.put("reason", incompleteReason);
        }
        response = responseObject(incompleteReason == null ? "completed" : "incomplete", null, details);
        if (events != null) {
            event(incompleteReason == null ? "response.completed" : "response.incomplete")
                    .field("response", response).end();
        }
    }

    private void fail(String code, String message) {
        if (ended) {
            return;
        }
        start();
        ended = true;
        ObjectNode error = Json.object();
        error.put("code", code);
        error.put("message", message);
        response = responseObject("failed", error, null);
        if (events != null) {
            event("response.failed").field("response", response).end();
        }
    }

    private String incompleteReason() {
        if ("length".equals(finishReason)) {
            return "max_output_tokens";
        }
        return "content_filter".equals(finishReason) ? "content_filter" : null;
    }

    private OutputItem open(OutputItem.Kind kind, String idPrefix) {
        OutputItem item = new OutputItem(kind, output.size(), ids.next(idPrefix));
        output.add(item);
        added(item);
        return item;
    }

    private void added(OutputItem item) {
        item.added = true;
        if (events != null) {
            event("response.output_item.added").field("output_index", item.outputIndex)
                    .field("item", item.renderAdded()).end();
        }
    }

    private void closeAll() {
        for (OutputItem item : output) {
            close(item);
        }
    }

    private void close(OutputItem item) {
        if (item == null || item.status != null) {
            return;
        }
        item.status = incompleteReason() == null ? "completed" : "incomplete";
        if (item == openMessage) {
            openMessage = null;
        } else if (item == openReasoning) {
            openReasoning = null;
        }
        if (events == null) {
            return;
        }
        switch (item.kind) {
            case MESSAGE -> {
                event("response.output_text.done").field("item_id", item.id).field("output_index", item.outputIndex)
                        .field("content_index", 0).field("text", item.text.toString()).emptyArray("logprobs").end();
                contentPart("response.content_part.done", item);
            }
            case REASONING -> {
                event("response.reasoning_text.done").field("item_id", item.id)
                        .field("output_index", item.outputIndex).field("content_index", 0)
                        .field("text", item.text.toString()).end();
                contentPart("response.content_part.done", item);
            }
            case FUNCTION_CALL -> {
                if (!item.added) {
                    added(item); // the upstream never named the call; it still gets its events
                }
                event("response.function_call_arguments.done").field("item_id", item.id)
                        .field("output_index", item.outputIndex).field("arguments", item.text.toString()).end();
            }
        }
        event("response.output_item.done").field("output_index", item.outputIndex).field("item", item.render())
                .end();
    }

    private void contentPart(String type, OutputItem item) {
        if (events != null) {
            event(type).field("item_id", item.id).field("output_index", item.outputIndex).field("content_index", 0)
                    .field("part", item.part(item.status == null ? "" : item.text.toString())).end();
        }
    }

    private void argumentsDelta(OutputItem call, String delta) {
        if (events != null) {
            event("response.function_call_arguments.delta").field("item_id", call.id)
                    .field("output_index", call.outputIndex).field("delta", delta).end();
        }
    }

    private SseEventWriter event(String type) {
        return events.begin(type).field("sequence_number", sequence++);
    }

    private ObjectNode responseObject(String status, JsonNode error, JsonNode incompleteDetails) {
        ObjectNode node = Json.object();
        for (Map.Entry<String, JsonNode> field : template.properties()) {
            String key = field.getKey();
            switch (key) {
                case "id" -> node.put(key, responseId);
                case "created_at" -> node.put(key, createdAt);
                case "status" -> node.put(key, status);
                case "error" -> node.set(key, error);
                case "incomplete_details" -> node.set(key, incompleteDetails);
                case "output" -> {
                    ArrayNode items = node.putArray(key);
                    if (!"in_progress".equals(status)) {
                        for (OutputItem item : output) {
                            items.add(item.render());
                        }
                    }
                }
                case "usage" -> node.set(key, "in_progress".equals(status) ? null : usage());
                default -> node.set(key, field.getValue());
            }
        }
        return node;
    }

    private JsonNode usage() {
        if (usage == null) {
            return null;
        }
        ObjectNode node = Json.object();
        node.put("input_tokens", usage.promptTokens());
        ObjectNode input = node.putObject("input_tokens_details");
        input.put("cached_tokens", usage.cachedTokens());
        input.put("cache_write_tokens", 0);
        node.put("output_tokens", usage.completionTokens());
        node.putObject("output_tokens_details").put("reasoning_tokens", usage.reasoningTokens());
        node.put("total_tokens", usage.totalTokens());
        return node;
    }
}
