package dev.llmproxy.tools;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.Json;

import java.time.Duration;
import java.util.Optional;

/**
 * How one chat request went, as measured by the client: status, answer, time to the first token, total time, token
 * usage, and the error when it failed. Immutable.
 *
 * @param model        the model asked
 * @param status       the HTTP status; 0 when no response arrived
 * @param text         the answer's text (what arrived of it, for a stream that failed)
 * @param ttftNanos    from sending the request to the first text of the answer; -1 when none arrived
 * @param durationNanos from sending the request to the end of the answer
 * @param usage        the usage the answer reported, or null
 * @param upstream     the upstream that answered ({@code X-LLM-Proxy-Upstream}), or null
 * @param errorCode    the error envelope's code, or null
 * @param errorMessage why it failed; null when it worked
 * @param retryAfter   the {@code Retry-After} of a refusal
 */
record ChatOutcome(String model, int status, String text, long ttftNanos, long durationNanos, Usage usage,
                   String upstream, String errorCode, String errorMessage, Optional<Duration> retryAfter) {

    static ChatOutcome failed(String model, int status, long durationNanos, String upstream, String errorCode,
                              String errorMessage, Optional<Duration> retryAfter) {
        return new ChatOutcome(model, status, "", -1, durationNanos, null, upstream, errorCode, errorMessage,
                retryAfter);
    }

    boolean ok() {
        return errorMessage == null;
    }

    /**
     * Completion tokens per second of generation, from the first token to the end (the rate a reader sees text
     * arrive); over the whole request when the first token's time is unknown. Empty without usage.
     */
    Optional<Double> tokensPerSecond() {
        if (usage == null || usage.completionTokens() <= 0 || durationNanos <= 0) {
            return Optional.empty();
        }
        long generation = ttftNanos >= 0 ? durationNanos - ttftNanos : durationNanos;
        long nanos = generation >= 1_000_000 && usage.completionTokens() > 1 ? generation : durationNanos;
        return Optional.of(usage.completionTokens() * 1e9 / nanos);
    }

    /** One line for people: {@code [1.23 s, first token 210 ms, 42.1 tokens/s, tokens 12 + 52 = 64, upstream x]}. */
    String summary() {
        StringBuilder line = new StringBuilder("[").append(HumanUnits.duration(durationNanos));
        if (ttftNanos >= 0) {
            line.append(", first token ").append(HumanUnits.duration(ttftNanos));
        }
        tokensPerSecond().ifPresent(rate -> line.append(", ").append(HumanUnits.rate(rate)).append(" tokens/s"));
        if (usage != null) {
            line.append(", tokens ").append(usage.promptTokens()).append(" prompt + ")
                    .append(usage.completionTokens()).append(" completion = ").append(usage.totalTokens());
        }
        if (upstream != null) {
            line.append(", upstream ").append(upstream);
        }
        return line.append(']').toString();
    }

    /** {@code error: HTTP 429 rate_limit: message (retry after 5 s)}; the status is left out when none arrived. */
    String errorLine() {
        StringBuilder line = new StringBuilder("error: ");
        if (status > 0) {
            line.append("HTTP ").append(status).append(' ');
        }
        if (errorCode != null) {
            line.append(errorCode).append(": ");
        }
        line.append(errorMessage);
        retryAfter.ifPresent(wait -> line.append(" (retry after ").append(HumanUnits.duration(wait.toNanos()))
                .append(')'));
        return line.toString();
    }

    /** The outcome as JSON for {@code --json} output and reports. */
    ObjectNode toJson() {
        ObjectNode json = Json.object();
        json.put("model", model);
        json.put("ok", ok());
        json.put("status", status);
        json.put("duration_ms", Math.round(durationNanos / 1e6));
        if (ttftNanos >= 0) {
            json.put("ttft_ms", Math.round(ttftNanos / 1e6));
        } else {
            json.putNull("ttft_ms");
        }
        tokensPerSecond().ifPresentOrElse(rate -> json.put("tokens_per_second", Math.round(rate * 10) / 10.0),
                () -> json.putNull("tokens_per_second"));
        if (usage != null) {
            json.putObject("usage").put("prompt_tokens", usage.promptTokens())
                    .put("completion_tokens", usage.completionTokens()).put("total_tokens", usage.totalTokens());
        } else {
            json.putNull("usage");
        }
        json.put("upstream", upstream);
        if (!ok()) {
            ObjectNode error = json.putObject("error");
            error.put("code", errorCode);
            error.put("message", errorMessage);
            retryAfter.ifPresent(wait -> error.put("retry_after_ms", wait.toMillis()));
        }
        return json;
    }
}
