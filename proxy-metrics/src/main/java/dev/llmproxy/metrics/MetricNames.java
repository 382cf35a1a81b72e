package dev.llmproxy.metrics;

/**
 * Every metric family the proxy exports, in one place. The first group keeps the Node.js proxy's names (REFERENCE
 * §5) so existing dashboards and alerts keep working; the rest follow Prometheus conventions (base units, counters
 * ending in {@code _total}). A {@code *_quantile_seconds} family is a summary with exact per-instance p50/p95/p99 from
 * HdrHistogram; its sibling {@code *_seconds} histogram has fixed buckets and aggregates across replicas.
 */
public final class MetricNames {
    // --- the reference's families
    public static final String HTTP_REQUESTS = "http_requests_total";                   // {method,route,status}
    public static final String HTTP_ERRORS = "http_errors_total";                       // responses with status >= 500
    public static final String RATE_LIMIT_EXCEEDED = "rate_limit_exceeded_total";       // local 429s, once each
    public static final String MODEL_RATE_LIMIT_429 = "model_rate_limit_429_total";     // {model} upstream 429s
    public static final String MODEL_RATE_LIMIT_GUESS = "model_rate_limit_guess";       // {model,hard_cap}
    public static final String TOKENS_PROMPT = "tokens_prompt_total";                   // usage or estimate
    public static final String TOKENS_COMPLETION = "tokens_completion_total";
    public static final String UPSTREAM_ACTIVE = "upstream_active_current";
    public static final String UPSTREAM_QUEUE = "upstream_queue_length";
    public static final String READY = "ready_up";
    public static final String HTTP_DURATION = "http_request_duration_seconds";         // histogram, reference buckets
    public static final String QUEUE_WAIT = "queue_wait_duration_seconds";             // histogram, reference buckets
    public static final String PROCESS_UPTIME = "process_uptime_seconds";
    /** In place of the reference's {@code nodejs_active_handles}. */
    public static final String OPEN_CONNECTIONS = "http_open_connections";

    // --- exact per-instance quantiles (summaries)
    // quantiles over the last 5 minutes, _sum and _count since start
    public static final String HTTP_DURATION_QUANTILES = "http_request_duration_quantile_seconds";    // no labels
    public static final String QUEUE_WAIT_QUANTILES = "queue_wait_duration_quantile_seconds";        // no labels
    public static final String TTFT_QUANTILES = "time_to_first_token_quantile_seconds";             // {model}
    public static final String UPSTREAM_DURATION_QUANTILES = "upstream_duration_quantile_seconds";   // {model}
    /** {model}: request duration of requests that named a model, for per-model latency in /v1/stats. */
    public static final String MODEL_REQUEST_DURATION_QUANTILES = "model_request_duration_quantile_seconds";

    // --- LLM families
    public static final String TTFT = "time_to_first_token_seconds";                    // {model} histogram
    public static final String INTER_CHUNK_GAP = "inter_chunk_gap_seconds";             // histogram, no labels
    public static final String UPSTREAM_DURATION = "upstream_duration_seconds";         // {model} histogram
    /** Time to the upstream's first byte (TTFB), e.g. of {@code /tts} audio. */
    public static final String UPSTREAM_FIRST_BYTE = "upstream_first_byte_seconds";     // {route} histogram
    public static final String TOKENS = "tokens_total";                                 // {model,kind,source}
    public static final String UPSTREAM_429 = "upstream_rate_limit_429_total";          // {kind}
    public static final String UPSTREAM_CANCELLED = "upstream_cancelled_total";         // {stage}
    public static final String RESPONSE_BYTES = "response_bytes_total";                 // {route}

    private MetricNames() {
    }
}
