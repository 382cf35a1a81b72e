package dev.llmproxy.stats;

import dev.llmproxy.metrics.RequestSample;
import dev.llmproxy.metrics.Stage;

import java.time.Duration;

/** Builds {@link RequestSample}s for tests: a successful non-stream chat of 10 ms unless told otherwise. */
final class Samples {
    private String model = "openai/gpt-4o-mini";
    private int status = 200;
    private boolean stream;
    private long durationNanos = Duration.ofMillis(10).toNanos();
    private long ttftNanos = -1;
    private long upstreamNanos = -1;
    private long promptTokens = -1;
    private long completionTokens = -1;
    private boolean estimated;
    private String errorKind;
    private String upstream429Kind;
    private Stage abortedAt;

    static Samples chat(String model) {
        return new Samples().model(model);
    }

    Samples model(String model) {
        this.model = model;
        return this;
    }

    Samples status(int status) {
        this.status = status;
        return this;
    }

    Samples stream() {
        this.stream = true;
        return this;
    }

    Samples millis(double millis) {
        return nanos(Math.round(millis * 1e6));
    }

    Samples nanos(long nanos) {
        this.durationNanos = nanos;
        return this;
    }

    Samples ttftMillis(double millis) {
        this.ttftNanos = Math.round(millis * 1e6);
        return this;
    }

    Samples ttftNanos(long nanos) {
        this.ttftNanos = nanos;
        return this;
    }

    Samples upstreamMillis(double millis) {
        this.upstreamNanos = Math.round(millis * 1e6);
        return this;
    }

    Samples tokens(long prompt, long completion) {
        this.promptTokens = prompt;
        this.completionTokens = completion;
        return this;
    }

    Samples estimated() {
        this.estimated = true;
        return this;
    }

    Samples error(String errorKind, int status) {
        this.errorKind = errorKind;
        this.status = status;
        return this;
    }

    Samples upstream429(String kind) {
        this.upstream429Kind = kind;
        this.status = 429;
        return this;
    }

    Samples abortedAt(Stage stage, int status) {
        this.abortedAt = stage;
        this.status = status;
        return this;
    }

    RequestSample build() {
        return new RequestSample("POST", "/v1/chat/completions", status, model, stream, durationNanos, -1, -1,
                ttftNanos, upstreamNanos, promptTokens, completionTokens, estimated, 0, errorKind,
                errorKind == null ? null : errorKind.toLowerCase(), upstream429Kind, abortedAt);
    }
}
