package dev.llmproxy.openai;

/**
 * Every failure the proxy itself reports, each mapped to one HTTP status and one OpenAI error envelope
 * ({@code {"error":{"message","type","param","code"}}}). Messages of the validation kinds are the reference
 * implementation's, word for word, so clients that match on them keep working.
 */
public enum ErrorKind {
    // --- the client's request ---
    MISSING_MODEL(400, "invalid_request_error", "model", null, "you must provide a model parameter"),
    MODEL_PLACEHOLDER(400, "invalid_request_error", "model", "model_placeholder",
            "invalid model parameter: replace placeholder with a real model id (e.g., 'openai/gpt-4o-mini'); "
                    + "call /v1/models to list available ids"),
    MISSING_MESSAGES(400, "invalid_request_error", "messages", null, "you must provide a messages parameter"),
    MISSING_EMBEDDING_INPUT(400, "invalid_request_error", null, null, "you must provide model and input"),
    MISSING_COMPLETION_PROMPT(400, "invalid_request_error", null, null, "you must provide model and prompt"),
    INVALID_PARAMETER(400, "invalid_request_error", null, "invalid_type", "a parameter has the wrong type"),
    /** A parameter of the right type outside its allowed values (a requirement level, a task, a language …). */
    INVALID_VALUE(400, "invalid_request_error", null, "invalid_value", "a parameter has an invalid value"),
    /** A required parameter of a proxy-only endpoint is absent (the OpenAI endpoints keep the reference's kinds). */
    MISSING_PARAMETER(400, "invalid_request_error", null, "missing_required_parameter",
            "a required parameter is missing"),
    /** The prompt cannot fit the model's input limit (or the GitHub plan's per-request limit): refused locally. */
    CONTEXT_LENGTH_EXCEEDED(400, "invalid_request_error", "messages", "context_length_exceeded",
            "the prompt is longer than the model accepts"),
    /** A real parameter of the client's API that this proxy cannot honour (a bridged API's built-in tools …). */
    UNSUPPORTED_PARAMETER(400, "invalid_request_error", null, "unsupported_parameter",
            "this parameter is not supported by this proxy"),
    /** A parameter the client's API does not define (bridged APIs are checked field by field). */
    UNKNOWN_PARAMETER(400, "invalid_request_error", null, "unknown_parameter", "unknown parameter"),
    INVALID_JSON(400, "invalid_request_error", null, "invalid_json", "request body is not valid JSON"),
    BAD_HTTP_REQUEST(400, "invalid_request_error", null, "bad_request", "malformed HTTP request"),
    PROXY_KEY_INVALID(401, "authentication_error", null, "proxy_key_invalid", "missing or invalid proxy key"),
    API_KEY_MISSING(401, "authentication_error", null, "missing_api_key",
            "this proxy forwards your own API key: send it as 'Authorization: Bearer <key>' or 'X-OpenAI-Api-Key'"),
    NOT_FOUND(404, "invalid_request_error", null, "not_found", "no such endpoint"),
    MODEL_NOT_FOUND(404, "invalid_request_error", "model", "model_not_found", "no such model"),
    /** The catalog has the model, but the configured GitHub Copilot plan cannot use it ("n/a" in GitHub's table). */
    MODEL_NOT_AVAILABLE(403, "permission_error", "model", "model_not_available",
            "this model is not available on the configured GitHub Copilot plan"),
    /** A client key whose {@code models:} allow-list does not name the model (or its route alias). */
    MODEL_NOT_ALLOWED(403, "permission_error", "model", "model_not_allowed",
            "this client key may not use this model"),
    METHOD_NOT_ALLOWED(405, "invalid_request_error", null, "method_not_allowed", "method not allowed"),
    REQUEST_TIMEOUT(408, "invalid_request_error", null, "request_timeout",
            "the request body was not received in time"),
    REQUEST_TOO_LARGE(413, "invalid_request_error", "content-length", "request_too_large", "request too large"),
    UNSUPPORTED_MEDIA_TYPE(415, "invalid_request_error", "content-type", "unsupported_media_type",
            "request body must be application/json"),
    RATE_LIMITED(429, "rate_limit_exceeded", "model", "rate_limit", "rate limit exceeded"),
    IP_FLOOD(429, "rate_limit_exceeded", "ip", "ddos_protection", "Too many requests from this IP address"),
    UPSTREAM_RATE_LIMITED(429, "rate_limit_exceeded", "model", "rate_limit", "upstream rate limit reached"),
    DAILY_QUOTA_EXHAUSTED(429, "rate_limit_exceeded", "model", "daily_quota_exhausted",
            "the daily quota for this model is exhausted"),
    /** The client key's own rpm, tpm, rpd or concurrency limit. */
    CLIENT_RATE_LIMIT(429, "rate_limit_exceeded", null, "client_rate_limit",
            "this client key's rate limit is reached"),
    /** The client key's {@code monthly_tokens} budget is spent. */
    CLIENT_BUDGET_EXHAUSTED(429, "rate_limit_exceeded", null, "client_budget_exhausted",
            "this client key's monthly token budget is exhausted"),
    EXPECTATION_FAILED(417, "invalid_request_error", "expect", "expectation_failed",
            "only 'Expect: 100-continue' is supported"),

    // --- the upstream or the proxy ---
    INTERNAL(500, "server_error", null, "internal_error", "internal proxy error"),
    UPSTREAM_UNREACHABLE(502, "upstream_error", null, "upstream_unreachable", "cannot connect to the upstream"),
    UPSTREAM_CONNECTION_LOST(502, "upstream_error", null, "upstream_connection_lost",
            "the upstream closed the connection before the response was complete"),
    UPSTREAM_BAD_RESPONSE(502, "upstream_error", null, "upstream_bad_response",
            "the upstream sent a response the proxy cannot read"),
    UPSTREAM_POOL_EXHAUSTED(503, "upstream_error", null, "upstream_pool_exhausted",
            "too many requests are waiting for an upstream connection; retry shortly"),
    QUEUE_FULL(503, "server_error", null, "queue_full",
            "too many requests are waiting for an upstream slot; retry shortly"),
    QUEUE_TIMEOUT(503, "server_error", null, "queue_timeout", "no upstream slot became free in time"),
    /** The {@code work} pool's queue (body decoding, token counts, context checks, stats) is full. */
    WORK_QUEUE_FULL(503, "server_error", null, "server_busy",
            "the proxy has too much CPU work queued (decoding, token counting); retry shortly"),
    /** {@code REDIS_FAILURE_MODE=closed} and the limits shared by replicas cannot be checked: refused, not guessed. */
    LIMITS_UNAVAILABLE(503, "server_error", null, "limits_unavailable",
            "the shared rate-limit store is unavailable, so this request cannot be admitted; retry shortly"),
    UPSTREAM_UNAVAILABLE(503, "upstream_error", "model", "upstream_unavailable",
            "the upstream keeps failing for this model; requests are paused"),
    /** A {@code github-models} upstream answered 410: the service was retired on 2026-07-30. */
    UPSTREAM_RETIRED(410, "upstream_error", null, "upstream_retired",
            "GitHub Models was retired on 2026-07-30 and answers 410 Gone; configure another upstream (OpenAI, "
                    + "Azure OpenAI / Foundry, OpenRouter, vLLM, Ollama or any OpenAI-compatible server): see the "
                    + "README, section Upstreams"),
    SHUTTING_DOWN(503, "server_error", null, "shutting_down",
            "the proxy is shutting down and its grace period is over; retry the request"),
    TTS_UPSTREAM_ERROR(502, "bad_gateway", null, "tts_upstream_error", "TTS proxy error"),
    UPSTREAM_CONNECT_TIMEOUT(504, "upstream_error", null, "upstream_connect_timeout",
            "connecting to the upstream timed out"),
    UPSTREAM_TIMEOUT(504, "upstream_error", null, "upstream_timeout", "the upstream did not answer in time"),

    // --- the client's HTTP framing and body coding (RFC 9110, RFC 9112) ---
    /** A Content-Encoding the proxy cannot undo; the response lists the ones it can in {@code Accept-Encoding}. */
    UNSUPPORTED_CONTENT_ENCODING(415, "invalid_request_error", "content-encoding", "unsupported_content_encoding",
            "the request body's Content-Encoding is not supported"),
    /** The body does not decode as the Content-Encoding it claims (corrupt, truncated, or a window too large). */
    INVALID_BODY_ENCODING(400, "invalid_request_error", "content-encoding", "invalid_body_encoding",
            "the request body could not be decoded"),
    HTTP_VERSION_NOT_SUPPORTED(505, "invalid_request_error", null, "http_version_not_supported",
            "only HTTP/1.0 and HTTP/1.1 are supported"),
    /** A transfer coding before the final {@code chunked} (RFC 9112 §6.1: 501 for one the server does not know). */
    UNSUPPORTED_TRANSFER_ENCODING(501, "invalid_request_error", "transfer-encoding", "unsupported_transfer_encoding",
            "only the chunked transfer coding is supported"),
    URI_TOO_LONG(414, "invalid_request_error", null, "uri_too_long", "the request line is too long"),
    HEADERS_TOO_LARGE(431, "invalid_request_error", null, "request_header_fields_too_large",
            "the request header fields are too large");

    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final String defaultMessage;

    ErrorKind(int status, String type, String param, String code, String defaultMessage) {
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.defaultMessage = defaultMessage;
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    /** The envelope's {@code param}; may be null. */
    public String param() {
        return param;
    }

    /** The envelope's {@code code}; null where the reference sent null. */
    public String code() {
        return code;
    }

    public String defaultMessage() {
        return defaultMessage;
    }
}
