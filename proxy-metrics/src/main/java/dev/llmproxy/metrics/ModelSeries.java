package dev.llmproxy.metrics;

import io.prometheus.client.Counter;
import io.prometheus.client.Histogram;

/**
 * One model's children of every model-labelled family, resolved the first time a request for that model records
 * them, so that recording a request does not build a label list and look it up in each family again. Each child is
 * resolved on first use, not at creation: a series the model never produced stays absent from the scrape, as if
 * the family had been asked directly.
 *
 * <p>Threading: any event loop. Two loops may resolve the same child at once; the family returns the same child to
 * both, and the volatile fields publish it.
 */
final class ModelSeries {
    private final String model;
    private final Counter tokens;
    private final Counter model429;
    private final Histogram ttft;
    private final Histogram upstreamDuration;
    private final LatencyFamily durationQuantiles;
    private final LatencyFamily ttftQuantiles;
    private final LatencyFamily upstreamQuantiles;

    private volatile Counter.Child promptUsage;
    private volatile Counter.Child promptEstimate;
    private volatile Counter.Child completionUsage;
    private volatile Counter.Child completionEstimate;
    private volatile Counter.Child rateLimited;
    private volatile Histogram.Child ttftChild;
    private volatile Histogram.Child upstreamDurationChild;
    private volatile LatencyRecorder durationRecorder;
    private volatile LatencyRecorder ttftRecorder;
    private volatile LatencyRecorder upstreamRecorder;

    ModelSeries(String model, Counter tokens, Counter model429, Histogram ttft, Histogram upstreamDuration,
                LatencyFamily durationQuantiles, LatencyFamily ttftQuantiles, LatencyFamily upstreamQuantiles) {
        this.model = model;
        this.tokens = tokens;
        this.model429 = model429;
        this.ttft = ttft;
        this.upstreamDuration = upstreamDuration;
        this.durationQuantiles = durationQuantiles;
        this.ttftQuantiles = ttftQuantiles;
        this.upstreamQuantiles = upstreamQuantiles;
    }

    /** The model label these children carry. */
    String model() {
        return model;
    }

    Counter.Child promptTokens(boolean estimated) {
        Counter.Child c = estimated ? promptEstimate : promptUsage;
        if (c == null) {
            c = tokens.labels(model, "prompt", source(estimated));
            if (estimated) {
                promptEstimate = c;
            } else {
                promptUsage = c;
            }
        }
        return c;
    }

    Counter.Child completionTokens(boolean estimated) {
        Counter.Child c = estimated ? completionEstimate : completionUsage;
        if (c == null) {
            c = tokens.labels(model, "completion", source(estimated));
            if (estimated) {
                completionEstimate = c;
            } else {
                completionUsage = c;
            }
        }
        return c;
    }

    Counter.Child rateLimited() {
        Counter.Child c = rateLimited;
        if (c == null) {
            rateLimited = c = model429.labels(model);
        }
        return c;
    }

    Histogram.Child ttft() {
        Histogram.Child c = ttftChild;
        if (c == null) {
            ttftChild = c = ttft.labels(model);
        }
        return c;
    }

    Histogram.Child upstreamDuration() {
        Histogram.Child c = upstreamDurationChild;
        if (c == null) {
            upstreamDurationChild = c = upstreamDuration.labels(model);
        }
        return c;
    }

    LatencyRecorder durationRecorder() {
        LatencyRecorder r = durationRecorder;
        if (r == null) {
            durationRecorder = r = durationQuantiles.labels(model);
        }
        return r;
    }

    LatencyRecorder ttftRecorder() {
        LatencyRecorder r = ttftRecorder;
        if (r == null) {
            ttftRecorder = r = ttftQuantiles.labels(model);
        }
        return r;
    }

    LatencyRecorder upstreamRecorder() {
        LatencyRecorder r = upstreamRecorder;
        if (r == null) {
            upstreamRecorder = r = upstreamQuantiles.labels(model);
        }
        return r;
    }

    private static String source(boolean estimated) {
        return estimated ? "estimate" : "usage";
    }
}
