package dev.llmproxy.config;

import java.util.Locale;
import java.util.Optional;

/**
 * Every configuration variable, in one table: its environment name, the {@code serve} flag derived from it, its
 * default, what it means and what values it accepts. {@link ConfigLoader} validates against this table and
 * {@code Main} generates the {@code serve} options and their help from it, so a variable added here is parsed,
 * documented and exposed as a flag in one step. Immutable; safe from any thread.
 */
public enum Setting {
    PORT("3010", "TCP port to listen on; 0 picks a free port.",
            Rule.integer(0, 65_535)),
    HOST("127.0.0.1", "Address to bind. A non-loopback address also needs PROXY_SERVER_KEY, or ALLOW_OPEN_PROXY=true.",
            Rule.text("an IPv4 or IPv6 address or a host name")),
    CONFIG_FILE(null, "YAML file of the upstreams, routes and client keys (see the README). When set, it alone"
            + " decides the upstreams: OPENAI_BASE_URL, AZURE_OPENAI_*, OPENAI_API_KEY and GITHUB_TOKEN only feed its"
            + " ${VAR} references.",
            Rule.text("an existing, readable YAML file"), "--config"),
    OPENAI_BASE_URL(null, "Shortcut without CONFIG_FILE: one upstream named default at this URL, kind"
            + " openai-compatible (github-models for models.github.ai), keyed with OPENAI_API_KEY, else GITHUB_TOKEN."
            + " Wins over the other shortcuts.",
            Rule.text(ValueRules.URL_RULE)),
    GITHUB_TOKEN(null, "Shortcut alone: the retired GitHub Models upstream, named github. With OPENAI_BASE_URL and"
            + " no OPENAI_API_KEY: that upstream's key. Prefer the environment or .env: a command line is visible to"
            + " other users.",
            Rule.secret(ValueRules.TOKEN_RULE)),
    OPENAI_API_KEY(null, "Shortcut alone: one upstream named openai at https://api.openai.com/v1. With"
            + " OPENAI_BASE_URL: that upstream's key.",
            Rule.secret(ValueRules.TOKEN_RULE)),
    AZURE_OPENAI_ENDPOINT(null, "Shortcut with AZURE_OPENAI_API_KEY: one upstream named azure at"
            + " <endpoint>/openai/v1 (Azure OpenAI / Foundry v1 API). Wins over OPENAI_API_KEY and GITHUB_TOKEN.",
            Rule.text(ValueRules.URL_RULE)),
    AZURE_OPENAI_API_KEY(null, "Key of AZURE_OPENAI_ENDPOINT, sent as the api-key header.",
            Rule.secret(ValueRules.TOKEN_RULE)),
    PROXY_AUTH_MODE("env", "Key sent upstream: env = the server's key; request = the client's own key;"
            + " prefer-request = the client's key when it sent one, else the server's.",
            Rule.text("one of env, request, prefer-request")),
    PROXY_SERVER_KEY(null, "Keys clients must present on /v1/* and /api/*, comma-separated (blanks dropped);"
            + " unset = no client authentication.",
            Rule.secret("one or more comma-separated keys of visible ASCII characters without spaces")),
    ALLOW_OPEN_PROXY("false", "Consent to bind a non-loopback HOST with no PROXY_SERVER_KEY: anyone who reaches"
            + " the port can spend the upstream key.",
            Rule.bool()),
    MAX_REQUEST_BODY_BYTES("10485760", "Largest request body, in bytes, as received and once its Content-Encoding"
            + " is decoded; a larger one is answered 413.",
            Rule.integer(1, 1_073_741_824)),
    MAX_CONNECTIONS("10000", "Most client connections open at once; one more is closed as soon as it is accepted,"
            + " before anything is read. 0 = no limit.",
            Rule.integer(0, 10_000_000)),
    UPSTREAM_CONNECT_TIMEOUT_MS("10000", "Upstream TCP and TLS connect timeout, in milliseconds.",
            Rule.millis(1)),
    UPSTREAM_FIRST_BYTE_TIMEOUT_MS("180000", "Milliseconds from request sent to the first byte of the upstream"
            + " response; a non-stream reasoning call may think for minutes.",
            Rule.millis(1)),
    UPSTREAM_STREAM_IDLE_TIMEOUT_MS("120000", "Longest silence between two upstream body chunks, in milliseconds.",
            Rule.millis(1)),
    UPSTREAM_POOL_MAX_CONNECTIONS("256", "Open upstream connections per event loop.",
            Rule.integer(1, 65_535)),
    UPSTREAM_POOL_MAX_PENDING("1024", "Requests that may wait for an upstream connection per event loop;"
            + " beyond that they are refused.",
            Rule.integer(1, 1_048_576)),
    UPSTREAM_POOL_IDLE_TIMEOUT_MS("60000", "An idle pooled upstream connection is closed after this many"
            + " milliseconds.",
            Rule.millis(1)),
    UPSTREAM_CA_FILE(null, "PEM file of the CA certificates to trust on the upstream leg instead of the system's"
            + " (private CAs, like curl --cacert).",
            Rule.text("an existing, readable file")),
    CLIENT_IDLE_TIMEOUT_MS("60000", "A client connection with no request in flight is closed after this many"
            + " milliseconds.",
            Rule.millis(1)),
    SHUTDOWN_GRACE_MS("30000", "On SIGTERM, milliseconds in-flight requests may run before connections are closed.",
            Rule.millis(1)),
    IO_THREADS(null, "Event-loop threads serving both legs of every request. Unset: the number of available"
            + " processors.",
            Rule.integer(1, 256)),
    RATE_LIMIT_ENABLED("true", "Limit each client (its key, else its IP) to RATE_LIMIT_PER_MINUTE requests per"
            + " model; over it: 429 with Retry-After.",
            Rule.bool()),
    RATE_LIMIT_PER_MINUTE("30", "Requests per minute per client and model, refilled continuously (token bucket).",
            Rule.integer(1, 1_000_000)),
    RATE_LIMIT_BURST(null, "Requests a client may send at once per model. Unset: RATE_LIMIT_PER_MINUTE plus"
            + " RATE_LIMIT_BUCKET_LEEWAY.",
            Rule.integer(1, 1_000_000)),
    RATE_LIMIT_BUCKET_LEEWAY("0", "Extra burst on top of RATE_LIMIT_PER_MINUTE when RATE_LIMIT_BURST is unset (the"
            + " Node.js proxy used 2).",
            Rule.integer(0, 1_000_000)),
    RATE_LIMIT_MAX_KEYS("100000", "Most client+model buckets kept; idle ones are evicted, beyond this new clients"
            + " share one overflow bucket.",
            Rule.integer(16, 10_000_000)),
    IP_RATE_LIMIT_PER_MINUTE("100", "Flood guard: requests per minute per client IP on proxied routes; 0 = off.",
            Rule.integer(0, 1_000_000)),
    IP_RATE_LIMIT_LOOPBACK("false", "Flood guard for loopback peers (127.0.0.0/8, ::1) too; off by default, so a"
            + " high-volume client on the same host (a script, a sidecar) is not held to the per-IP rate.",
            Rule.bool()),
    TRUST_PROXY("false", "Take the client IP from the last X-Forwarded-For entry (set only behind your own"
            + " reverse proxy).",
            Rule.bool()),
    UPSTREAM_CONCURRENCY_ENABLED("true", "Cap concurrent upstream calls; the rest wait in a bounded queue.",
            Rule.bool()),
    UPSTREAM_MAX_CONCURRENT("8", "Upstream calls in flight at once, across all models.",
            Rule.integer(1, 100_000)),
    UPSTREAM_QUEUE_MAX("100", "Requests that may wait for an upstream slot; beyond that 503 queue_full.",
            Rule.integer(0, 1_000_000)),
    UPSTREAM_QUEUE_TIMEOUT_MS("45000", "Longest wait for an upstream slot; then 503 queue_timeout.",
            Rule.millis(1)),
    GITHUB_MODELS_PLAN("free", "Copilot plan of the token owner: sets each model's requests per minute and"
            + " concurrency (GitHub's free-usage table).",
            Rule.text("one of free, pro, business, enterprise")),
    UPSTREAM_QUOTA_PACING(null, "Pace each model below its GitHub quota (requests per minute, concurrency) so the"
            + " proxy itself causes no upstream 429. Unset: on for models.github.ai, off for other upstreams.",
            Rule.bool()),
    RETRY_ATTEMPTS("2", "Extra upstream attempts per request, only before any response byte reached the client:"
            + " connect failures, 502/503/504 and concurrency 429s.",
            Rule.integer(0, 10)),
    RETRY_DELAY_MS("500", "Base of the exponential backoff between attempts (full jitter), in milliseconds.",
            Rule.millis(1, 60_000)),
    RETRY_AFTER_MAX_MS("10000", "Longest upstream Retry-After the proxy waits out itself before a retry; a longer"
            + " one is passed to the client.",
            Rule.millis(0, 600_000)),
    CIRCUIT_BREAKER_THRESHOLD("10", "Consecutive upstream faults (5xx, connect failure, timeout) that open a"
            + " model's breaker.",
            Rule.integer(1, 1_000_000)),
    CIRCUIT_BREAKER_TIMEOUT_MS("60000", "The longest time an open breaker answers 503 before one probe request may"
            + " pass (each failed probe doubles the pause, from CIRCUIT_BREAKER_FIRST_OPEN_MS up to this).",
            Rule.millis(1)),
    CIRCUIT_BREAKER_FIRST_OPEN_MS("1000", "How long a breaker that has just opened answers 503 before its first probe;"
            + " at most CIRCUIT_BREAKER_TIMEOUT_MS (unset: 1000 or that, whichever is shorter).",
            Rule.millis(1)),
    ADAPTIVE_RATE_LIMITS("true", "Track an observed requests-per-minute guess per model from upstream 429s"
            + " (GET /v1/rate-limits/observed).",
            Rule.bool()),
    ENABLE_TTS_PROXY("true", "Serve GET/HEAD /tts, streamed from TTS_PROXY_TARGET.",
            Rule.bool()),
    TTS_PROXY_TARGET(null, "Text-to-speech engine answering GET /?text=&voice=&scale=&name= with audio. Unset:"
            + " http://127.0.0.1:8080, or the embedded demo upstream when it runs.",
            Rule.text("an absolute http or https URL with a host and no user info, query or fragment")),
    TTS_MAX_TEXT_CHARS("2000", "Longest text /tts accepts, in characters.",
            Rule.integer(1, 100_000)),
    TTS_VOICES("anatol,natalia", "Voices /tts accepts, comma-separated.",
            Rule.text("one or more comma-separated names of letters, digits, '-' and '_'")),
    TTS_FIRST_BYTE_TIMEOUT_MS("30000", "Longest wait for the TTS engine's response, in milliseconds (504 after).",
            Rule.millis(1)),
    METRICS_ENABLED("true", "Serve Prometheus metrics at METRICS_PATH.",
            Rule.bool()),
    METRICS_PATH("/metrics", "Path of the Prometheus text exposition (never behind the client key).",
            Rule.text("an absolute path starting with / and outside /v1/ and /api/")),
    STREAM_USAGE_INJECTION("true", "Ask the upstream for token usage on streams whose client did not (the extra"
            + " event is removed before the client sees it); turn off for upstreams that refuse stream_options.",
            Rule.bool()),
    GITHUB_MODELS_CATALOG_URL(null, "Model catalog fetched at start-up and every CATALOG_REFRESH_HOURS (token"
            + " limits, modalities, tiers). Unset: https://models.github.ai/catalog/models when the upstream is"
            + " GitHub Models, the demo's catalog for the demo, no refresh for other upstreams.",
            Rule.text("an absolute http or https URL with a host and no user info, query or fragment")),
    CATALOG_REFRESH_HOURS("6", "Hours between two catalog refreshes; 0 = use the bundled catalog only. A failed"
            + " refresh keeps the last good catalog.",
            Rule.integer(0, 8_760)),
    CONTEXT_CHECK_ENABLED("true", "Refuse a chat or embeddings prompt that cannot fit the model's input limit (or"
            + " the plan's per-request cap) with 400 context_length_exceeded, before any upstream call.",
            Rule.bool()),
    STRICT_OPENAI_API("false", "Serve only the OpenAI-compatible API and the health and metrics endpoints:"
            + " no UI, no extra routes.",
            Rule.bool()),
    ACCESS_LOG("true", "Log one line per request to stdout, written in batches off the event loops.",
            Rule.bool()),
    DEMO_TOKEN_DELAY_MS("30", "Embedded demo upstream: pause between two streamed tokens, in milliseconds;"
            + " 0 = none.",
            Rule.millis(0, 60_000)),
    REDIS_URL(null, "Redis or Valkey shared by every replica for client and upstream limits, concurrency leases,"
            + " daily/monthly counters and upstream pauses. Unset: all limits stay in this process. A password in"
            + " it is never printed.",
            Rule.text("a redis://, rediss://, redis-sentinel:// or rediss-sentinel:// URL with a host, as Lettuce"
                    + " reads it")),
    REDIS_KEY_PREFIX("llm-proxy:", "Prefix of every Redis key the proxy writes; replicas that share limits share"
            + " it, separate deployments on one Redis use different ones.",
            Rule.text("1 to 64 visible ASCII characters without spaces")),
    REDIS_TIMEOUT_MS("200", "Longest wait for one Redis command; a request never waits longer on Redis, it gets"
            + " the REDIS_FAILURE_MODE answer instead.",
            Rule.millis(10, 60_000)),
    REDIS_LEASE_TTL_MS("15000", "A concurrency slot held in Redis expires this long after its replica last renewed it"
            + " (replicas renew every third of it): the longest a crashed replica's slots stay taken. Also how long a"
            + " silent replica still counts as alive.",
            Rule.millis(300, 600_000)),
    REDIS_FAILURE_MODE("local", "While Redis is unreachable or slow: local = in-process limits divided by the"
            + " last known replica count; closed = refuse limited requests with 503 limits_unavailable.",
            Rule.text("one of local, closed"));

    /** Longest duration any {@code *_MS} setting accepts unless it says otherwise: one day. */
    static final long MAX_MILLIS = 86_400_000L;

    private final String defaultValue;
    private final String description;
    private final Rule rule;
    private final String alias;

    Setting(String defaultValue, String description, Rule rule) {
        this(defaultValue, description, rule, null);
    }

    Setting(String defaultValue, String description, Rule rule, String alias) {
        this.defaultValue = defaultValue;
        this.description = description;
        this.rule = rule;
        this.alias = alias;
    }

    /** The environment variable, also the key of every map {@link ConfigLoader#load} takes. */
    public String envName() {
        return name();
    }

    /** The {@code serve} option: {@code PORT} → {@code --port}, {@code OPENAI_BASE_URL} → {@code --openai-base-url}. */
    public String flag() {
        return "--" + name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Every {@code serve} option name: {@link #flag()}, then a shorter alias where one reads better ({@code --config}). */
    public String[] flags() {
        return alias == null ? new String[] {flag()} : new String[] {flag(), alias};
    }

    /** The value used when no source sets one; empty when there is none or it is computed (see {@link #description}). */
    public Optional<String> defaultValue() {
        return Optional.ofNullable(defaultValue);
    }

    /** One line: what the setting does and its unit. */
    public String description() {
        return description;
    }

    /** The accepted values, as printed after {@code expected:} in errors and in {@code --help}. */
    public String expected() {
        return rule.expected();
    }

    /** Never printed: errors show {@code (hidden)} instead of the value. */
    public boolean secret() {
        return rule.kind() == Kind.SECRET;
    }

    /** {@code true} for settings that take 1/true/yes/on or 0/false/no/off. */
    public boolean isBoolean() {
        return rule.kind() == Kind.BOOLEAN;
    }

    /** Smallest value of an integer setting. */
    long min() {
        return rule.min();
    }

    /** Largest value of an integer setting. */
    long max() {
        return rule.max();
    }

    enum Kind { INTEGER, BOOLEAN, TEXT, SECRET }

    /** What a setting accepts; integer bounds live here so the check and its message cannot disagree. */
    private record Rule(Kind kind, long min, long max, String expected) {

        static Rule integer(long min, long max) {
            return new Rule(Kind.INTEGER, min, max, "an integer from " + min + " to " + max);
        }

        static Rule millis(long min) {
            return millis(min, MAX_MILLIS);
        }

        static Rule millis(long min, long max) {
            return new Rule(Kind.INTEGER, min, max, "milliseconds, an integer from " + min + " to " + max);
        }

        static Rule bool() {
            return new Rule(Kind.BOOLEAN, 0, 0, "one of 1, true, yes, on, 0, false, no, off");
        }

        static Rule text(String expected) {
            return new Rule(Kind.TEXT, 0, 0, expected);
        }

        static Rule secret(String expected) {
            return new Rule(Kind.SECRET, 0, 0, expected);
        }
    }
}
