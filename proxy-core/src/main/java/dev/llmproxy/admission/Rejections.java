package dev.llmproxy.admission;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.ProxyError;

import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The proxy's refusals, each in the OpenAI envelope with the headers a well-behaved client needs to back off:
 * {@code Retry-After} on every 429 and 503, the {@code x-ratelimit-*} trio on local rate limits, and the reference's
 * {@code rate_limit} body blocks (REFERENCE §2.2, §4a).
 */
public final class Rejections {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private Rejections() {
    }

    /** A client's (key or IP, model) bucket is empty. */
    public static ProxyError rateLimited(TokenBucket.Decision d, int perMinute) {
        long retrySeconds = seconds(d.retryAfterNanos());
        ObjectNode block = Json.object();
        block.put("window_seconds", 60);
        block.put("used", d.limit() - d.remaining());
        block.put("limit", perMinute);
        block.put("burst", d.limit());
        block.put("retry_after_ms", TimeUnit.NANOSECONDS.toMillis(d.retryAfterNanos()));
        return ProxyError.of(ErrorKind.RATE_LIMITED,
                        "Rate limit exceeded (limit ~" + perMinute + "/min). Retry after " + retrySeconds + "s")
                .withExtra("rate_limit", block)
                .withHeader("Retry-After", Long.toString(retrySeconds))
                .withHeader("x-ratelimit-limit-requests", Integer.toString(perMinute))
                .withHeader("x-ratelimit-remaining-requests", Integer.toString(Math.max(0, d.remaining())))
                .withHeader("x-ratelimit-reset-requests", openAiDuration(d.resetNanos()));
    }

    /** The per-IP flood guard. */
    public static ProxyError flood(TokenBucket.Decision d) {
        return ProxyError.of(ErrorKind.IP_FLOOD)
                .withHeader("Retry-After", Long.toString(seconds(d.retryAfterNanos())));
    }

    /** Every place in the queue for an upstream slot is taken. */
    public static ProxyError queueFull(int queueMax) {
        return ProxyError.of(ErrorKind.QUEUE_FULL, "all " + queueMax
                        + " places in the queue for an upstream slot are taken; retry shortly")
                .withHeader("Retry-After", "2");
    }

    /** No slot became free within {@code UPSTREAM_QUEUE_TIMEOUT_MS}. */
    public static ProxyError queueTimeout(long waitedMillis) {
        return ProxyError.of(ErrorKind.QUEUE_TIMEOUT, "no upstream slot became free within " + waitedMillis + " ms")
                .withHeader("Retry-After", "2");
    }

    /** Pacing a model below its GitHub quota would make this request wait longer than the queue allows. */
    public static ProxyError paced(String model, int perMinute, long retryAfterNanos) {
        long retrySeconds = seconds(retryAfterNanos);
        ObjectNode block = Json.object();
        block.put("window_seconds", 60);
        block.put("limit", perMinute);
        block.put("retry_after_ms", TimeUnit.NANOSECONDS.toMillis(retryAfterNanos));
        block.put("scope", "model");
        return ProxyError.of(ErrorKind.RATE_LIMITED, "Requests to " + model + " are paced at " + perMinute
                        + "/min to stay within its GitHub Models quota. Retry after " + retrySeconds + "s")
                .withExtra("rate_limit", block)
                .withHeader("Retry-After", Long.toString(retrySeconds));
    }

    /** The model's circuit breaker is open. */
    public static ProxyError breakerOpen(String model, long retryAfterNanos) {
        return ProxyError.of(ErrorKind.UPSTREAM_UNAVAILABLE, "the upstream failed repeatedly for " + model
                        + "; calls are paused for " + seconds(retryAfterNanos) + "s")
                .withHeader("Retry-After", Long.toString(seconds(retryAfterNanos)));
    }

    /**
     * An upstream quota 429, in the reference's shape ({@code rate_limit{retry_after_seconds, limit_type,
     * time_remaining, upstream_code}}) — for the 429 the upstream just sent and for the local answers while the
     * model stays paused. Upstream {@code x-ratelimit-*}, {@code x-ms-*} and {@code x-request-id} headers are kept.
     */
    public static ProxyError upstreamRateLimited(UpstreamRateLimit limit, String upstreamCode, long retryAfterSeconds,
                                                 Function<String, String> upstreamHeader, Iterable<String> names) {
        String type = limit.limitType() != null ? limit.limitType() : "unknown";
        ObjectNode block = Json.object();
        block.put("retry_after_seconds", retryAfterSeconds);
        block.put("limit_type", limit.limitType());
        block.put("time_remaining", limit.timeRemainingSeconds().orElse(retryAfterSeconds));
        block.put("upstream_code", upstreamCode);
        ProxyError error = ProxyError.of(ErrorKind.UPSTREAM_RATE_LIMITED,
                        "Upstream rate limit reached (" + type + "). Retry after ~" + retryAfterSeconds + "s.")
                .withExtra("rate_limit", block);
        error = copyUpstreamHeaders(error, upstreamHeader, names);
        return error.withHeader("Retry-After", Long.toString(retryAfterSeconds));
    }

    /** The model's daily quota is gone until {@code resetAt}. */
    public static ProxyError dailyQuotaExhausted(String model, long retryAfterSeconds, Instant resetAt,
                                                 String limitType, String upstreamCode) {
        ObjectNode block = Json.object();
        block.put("retry_after_seconds", retryAfterSeconds);
        block.put("limit_type", limitType);
        block.put("reset_at", resetAt.toString());
        block.put("upstream_code", upstreamCode);
        return ProxyError.of(ErrorKind.DAILY_QUOTA_EXHAUSTED, "The daily quota for " + model
                        + " is exhausted; it resets at " + resetAt + " (in about " + humanHours(retryAfterSeconds)
                        + "). Choose another model until then.")
                .withExtra("rate_limit", block)
                .withHeader("Retry-After", Long.toString(retryAfterSeconds));
    }

    /** The local answer while a model stays paused after an upstream per-minute 429. */
    public static ProxyError paused(String model, long retryAfterSeconds, Instant resetAt) {
        ObjectNode block = Json.object();
        block.put("retry_after_seconds", retryAfterSeconds);
        block.put("limit_type", "UserByModelByMinute");
        block.put("reset_at", resetAt.toString());
        block.put("upstream_code", (String) null);
        return ProxyError.of(ErrorKind.UPSTREAM_RATE_LIMITED, "Upstream rate limit reached for " + model
                        + "; the proxy holds requests back. Retry after ~" + retryAfterSeconds + "s.")
                .withExtra("rate_limit", block)
                .withHeader("Retry-After", Long.toString(retryAfterSeconds));
    }

    private static ProxyError copyUpstreamHeaders(ProxyError error, Function<String, String> header,
                                                  Iterable<String> names) {
        ProxyError e = error;
        for (String name : names) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.startsWith("x-ratelimit-") || lower.startsWith("x-ms-") || lower.equals("x-request-id")) {
                String value = header.apply(name);
                if (value != null) {
                    e = e.withHeader(name, value);
                }
            }
        }
        return e;
    }

    /** Whole seconds, rounded up and at least 1, so a client that waits this long is not refused again. */
    static long seconds(long nanos) {
        return Math.max(1, (nanos + NANOS_PER_SECOND - 1) / NANOS_PER_SECOND);
    }

    /** OpenAI's duration format for {@code x-ratelimit-reset-*}: {@code 6m0s}, {@code 1.5s}, {@code 120ms}. */
    static String openAiDuration(long nanos) {
        long millis = Math.max(0, TimeUnit.NANOSECONDS.toMillis(nanos));
        if (millis < 1000) {
            return millis + "ms";
        }
        long minutes = millis / 60_000;
        long restMillis = millis % 60_000;
        String seconds = restMillis % 1000 == 0 ? Long.toString(restMillis / 1000)
                : String.format(Locale.ROOT, "%.3f", restMillis / 1000.0).replaceAll("0+$", "");
        return minutes > 0 ? minutes + "m" + seconds + "s" : seconds + "s";
    }

    private static String humanHours(long seconds) {
        if (seconds < 3600) {
            return Math.max(1, seconds / 60) + " min";
        }
        return String.format(Locale.ROOT, "%.1f h", seconds / 3600.0);
    }
}
