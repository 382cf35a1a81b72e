package dev.llmproxy.stats;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;

/**
 * One model's (or all models') usage over one window, with the derived numbers of REFERENCE §7. Immutable.
 *
 * <p>A request is a success or an error, never both: {@code requests() == successes + errors()}. As in the reference,
 * the averages, {@code tokensPerSecond} and {@code efficiency} are over successful requests only.
 *
 * @param successes         requests that completed with a status below 400 and no proxy error
 * @param successNanos      sum of the successful requests' durations (request head → last byte)
 * @param successTokens     prompt + completion tokens of the successful requests (the reference's {@code totalTokens})
 * @param promptTokens      prompt tokens of every request that reported or was estimated to have them, errors and
 *                          aborted streams included (what was spent, not only what succeeded)
 * @param completionTokens  completion tokens, counted like {@code promptTokens}
 * @param estimatedTokens   how many of {@code promptTokens + completionTokens} are the proxy's tokenizer estimate
 * @param generationTokens  completion tokens of successful requests whose upstream time is known
 * @param generationNanos   upstream time (admitted → upstream response complete) of those same requests
 * @param upstream429s      requests the upstream answered with 429 (any {@code x-ratelimit-type}); never local 429s
 * @param errorsByKind      error count per kind: the proxy's error kind in lower case, {@code upstream_<status>} for an
 *                          upstream 4xx/5xx passed through, {@code client_abort}; sums to {@link #errors()}
 * @param upstream429ByKind upstream 429s per GitHub {@code x-ratelimit-type} ({@code other} when unknown)
 * @param latency           duration percentiles of successful requests
 * @param ttft              time-to-first-token percentiles (requests that produced a token)
 */
public record Usage(
        long successes,
        long successNanos,
        long successTokens,
        long promptTokens,
        long completionTokens,
        long estimatedTokens,
        long generationTokens,
        long generationNanos,
        long upstream429s,
        Map<String, Long> errorsByKind,
        Map<String, Long> upstream429ByKind,
        Percentiles latency,
        Percentiles ttft) {

    private static final BigDecimal HUNDRED = BigDecimal.valueOf(100);

    public Usage {
        errorsByKind = Map.copyOf(errorsByKind);
        upstream429ByKind = Map.copyOf(upstream429ByKind);
    }

    public long errors() {
        long errors = 0;
        for (long count : errorsByKind.values()) {
            errors += count;
        }
        return errors;
    }

    public long requests() {
        return successes + errors();
    }

    /** Successful requests over all requests, 0..1; 0 with no requests. */
    public double successRate() {
        long requests = requests();
        return requests == 0 ? 0 : (double) successes / requests;
    }

    /** Sum of successful durations in milliseconds (the reference's {@code totalTime}). */
    public double totalMillis() {
        return successNanos / 1e6;
    }

    /** Mean duration of a successful request in milliseconds; 0 with no successes. */
    public double avgResponseMillis() {
        return successes == 0 ? 0 : totalMillis() / successes;
    }

    /** Mean prompt + completion tokens of a successful request; 0 with no successes. */
    public double avgTokensPerRequest() {
        return successes == 0 ? 0 : (double) successTokens / successes;
    }

    /**
     * errors / requests · 100 with one decimal and a {@code %} ({@code "33.3%"}), the exact ratio rounded half up and
     * never locale-formatted; {@code "0.0%"} with no requests, where the reference printed {@code "NaN%"}.
     */
    public String errorRate() {
        long requests = requests();
        if (requests == 0) {
            return "0.0%";
        }
        BigDecimal percent = BigDecimal.valueOf(errors()).multiply(HUNDRED)
                .divide(BigDecimal.valueOf(requests), 1, RoundingMode.HALF_UP);
        return percent.toPlainString() + "%";
    }

    /** REFERENCE §7: round(avgTokensPerRequest / (avgResponseTime / 1000)), or 0 when the average time is 0. */
    public long tokensPerSecond() {
        double avgMillis = avgResponseMillis();
        return avgMillis > 0 ? Math.round(avgTokensPerRequest() / (avgMillis / 1000)) : 0;
    }

    /**
     * REFERENCE §7, exactly: round(100·(0.5·successRate + 0.3·min(10000/avgResponseTime, 1)
     * + 0.2·min(avgTokensPerRequest/1000, 1))); the speed term is 0 when the average time is 0, and the result is 0
     * with no requests.
     */
    public long efficiency() {
        if (requests() == 0) {
            return 0;
        }
        double avgMillis = avgResponseMillis();
        double speed = avgMillis > 0 ? Math.min(10_000 / avgMillis, 1) : 0;
        double tokens = Math.min(avgTokensPerRequest() / 1000, 1);
        return Math.round(100 * (0.5 * successRate() + 0.3 * speed + 0.2 * tokens));
    }

    /**
     * Completion tokens per second of upstream time (admitted → upstream response complete), over successful requests
     * with known completion tokens: the model's generation rate as the proxy sees it, queue wait and client writes
     * excluded. 0 when there is no such request.
     */
    public double completionTokensPerSecond() {
        return generationNanos > 0 ? generationTokens / (generationNanos / 1e9) : 0;
    }
}
