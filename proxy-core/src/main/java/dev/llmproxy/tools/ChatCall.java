package dev.llmproxy.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Sends one {@link ChatRequest} through the proxy and measures it: streamed ({@code stream:true} with usage), the
 * answer's text handed on as it arrives, or in one piece. When a server refuses {@code max_tokens} and names
 * {@code max_completion_tokens} (OpenAI's reasoning models), the request is sent once more with that. I/O failures
 * of the request become a failed outcome with status 0; an unreachable proxy or a refused key ends the tool
 * ({@link ProxyClient}). Blocking, on the tool's thread.
 */
final class ChatCall {
    static final String PATH = "/v1/chat/completions";

    private ChatCall() {
    }

    /** A streamed chat; {@code onText} gets each piece of the answer as it arrives. */
    static ChatOutcome stream(ProxyClient client, ChatRequest request, Consumer<String> onText) {
        ChatOutcome outcome = stream(client, request, false, onText);
        if (mentionsMaxCompletionTokens(outcome)) {
            outcome = stream(client, request, true, onText);
        }
        return outcome;
    }

    /** A chat answered in one piece. */
    static ChatOutcome once(ProxyClient client, ChatRequest request) {
        ChatOutcome outcome = once(client, request, false);
        if (mentionsMaxCompletionTokens(outcome)) {
            outcome = once(client, request, true);
        }
        return outcome;
    }

    private static ChatOutcome once(ProxyClient client, ChatRequest request, boolean maxCompletionTokens) {
        long start = System.nanoTime();
        ProxyAnswer answer;
        try {
            answer = client.postJson(PATH, request.body(false, maxCompletionTokens));
        } catch (IOException e) {
            return ioFailure(request, start, e);
        }
        long duration = System.nanoTime() - start;
        JsonNode json = answer.json();
        if (!answer.ok()) {
            return ChatOutcome.failed(request.model(), answer.status(), duration, answer.upstream(),
                    answer.errorCode(), answer.errorMessage(), answer.retryAfter());
        }
        JsonNode content = json.at("/choices/0/message/content");
        if (!json.path("choices").isArray()) {
            return ChatOutcome.failed(request.model(), answer.status(), duration, answer.upstream(), null,
                    "not a chat completion: " + answer.errorMessage(), Optional.empty());
        }
        return new ChatOutcome(request.model(), answer.status(), content.isTextual() ? content.textValue() : "",
                -1, duration, Usage.from(json.path("usage")), answer.upstream(), null, null, Optional.empty());
    }

    private static ChatOutcome stream(ProxyClient client, ChatRequest request, boolean maxCompletionTokens,
                                      Consumer<String> onText) {
        long start = System.nanoTime();
        HttpResponse<InputStream> response;
        try {
            response = client.postForStream(PATH, request.body(true, maxCompletionTokens));
        } catch (IOException e) {
            return ioFailure(request, start, e);
        }
        String upstream = response.headers().firstValue(ProxyAnswer.UPSTREAM_HEADER).orElse(null);
        boolean eventStream = response.headers().firstValue("Content-Type").orElse("")
                .startsWith("text/event-stream");
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200 || !eventStream) {
                ProxyAnswer answer = new ProxyAnswer(response.statusCode(), response.headers(),
                        new String(body.readNBytes(256 * 1024), StandardCharsets.UTF_8));
                String message = answer.ok() ? "not an event stream: " + answer.errorMessage() : answer.errorMessage();
                return ChatOutcome.failed(request.model(), answer.status(), System.nanoTime() - start, upstream,
                        answer.errorCode(), message, answer.retryAfter());
            }
            StreamState state = new StreamState(start, onText);
            SseReader.read(body, state::onData);
            long duration = System.nanoTime() - start;
            return new ChatOutcome(request.model(), response.statusCode(), state.text.toString(), state.ttftNanos,
                    duration, state.usage, upstream, state.errorCode,
                    state.errorMessage != null ? state.errorMessage
                            : state.done ? null : "the stream ended without [DONE]", Optional.empty());
        } catch (IOException e) {
            return ioFailure(request, start, e);
        }
    }

    private static ChatOutcome ioFailure(ChatRequest request, long start, IOException e) {
        String reason = e instanceof java.net.http.HttpTimeoutException ? "no answer within the timeout"
                : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return ChatOutcome.failed(request.model(), 0, System.nanoTime() - start, null, null, reason,
                Optional.empty());
    }

    private static boolean mentionsMaxCompletionTokens(ChatOutcome outcome) {
        return outcome.status() == 400 && outcome.errorMessage() != null
                && outcome.errorMessage().contains("max_completion_tokens");
    }

    /** What a stream said so far; one per request, on the reading thread. */
    private static final class StreamState {
        private final long start;
        private final Consumer<String> onText;
        private final StringBuilder text = new StringBuilder();
        private long ttftNanos = -1;
        private Usage usage;
        private String errorCode;
        private String errorMessage;
        private boolean done;

        StreamState(long start, Consumer<String> onText) {
            this.start = start;
            this.onText = onText;
        }

        /** Reads on to the end of the stream, so the proxy sees a complete exchange rather than a client abort. */
        boolean onData(String data) {
            if (data.equals("[DONE]")) {
                done = true;
                return true;
            }
            JsonNode event;
            try {
                event = Json.MAPPER.readTree(data);
            } catch (IOException e) {
                errorMessage = errorMessage != null ? errorMessage : "malformed event: " + shorten(data);
                return true;
            }
            if (event == null) {
                return true;
            }
            if (event.has("error")) {
                // a failure after the stream started: the proxy's final event
                errorCode = ProxyAnswer.errorCode(event);
                errorMessage = ProxyAnswer.errorMessage(200, event, data);
                return true;
            }
            JsonNode content = event.at("/choices/0/delta/content");
            if (content.isTextual() && !content.textValue().isEmpty()) {
                if (ttftNanos < 0) {
                    ttftNanos = System.nanoTime() - start;
                }
                text.append(content.textValue());
                onText.accept(content.textValue());
            }
            Usage reported = Usage.from(event.get("usage"));
            if (reported != null) {
                usage = reported;
            }
            return true;
        }

        private static String shorten(String text) {
            return text.length() <= 80 ? text : text.substring(0, 77) + "...";
        }
    }
}
