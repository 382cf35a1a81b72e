package dev.llmproxy.client;

import dev.llmproxy.openai.Operation;
import io.netty.handler.codec.http.HttpMethod;

import java.util.Set;

/**
 * Every endpoint the proxy answers, as a closed set: its path template is also its label in logs and metrics, so
 * client-chosen paths never become label values.
 */
public enum Route {
    // Proxied OpenAI endpoints: the body is read (bounded), validated, and forwarded upstream.
    CHAT_COMPLETIONS("/v1/chat/completions", Operation.CHAT_COMPLETIONS, true, Set.of(HttpMethod.POST)),
    API_CHAT_COMPLETIONS("/api/chat/completions", Operation.CHAT_COMPLETIONS, false, Set.of(HttpMethod.POST)),
    BARE_CHAT_COMPLETIONS("/chat/completions", Operation.CHAT_COMPLETIONS, true, Set.of(HttpMethod.POST)),
    EMBEDDINGS("/v1/embeddings", Operation.EMBEDDINGS, true, Set.of(HttpMethod.POST)),
    COMPLETIONS("/v1/completions", Operation.LEGACY_COMPLETIONS, true, Set.of(HttpMethod.POST)),
    /** Convenience endpoints (REFERENCE §2.7–§2.9): chat calls the proxy composes, answered in their own shapes. */
    SIMPLE_CHAT("/v1/simple-chat", Operation.CHAT_COMPLETIONS, false, Set.of(HttpMethod.POST)),
    TEST_MODEL("/v1/test-model", Operation.CHAT_COMPLETIONS, false, Set.of(HttpMethod.GET, HttpMethod.POST)),
    UNIVERSAL_PROXY("/v1/proxy", Operation.CHAT_COMPLETIONS, false, Set.of(HttpMethod.POST)),
    AUDIO_SPEECH("/v1/audio/speech", Operation.AUDIO_SPEECH, true, Set.of(HttpMethod.POST)),
    /** OpenAI's Responses API: passed through to a native upstream, bridged onto chat for the others. */
    RESPONSES("/v1/responses", Operation.RESPONSES, true, Set.of(HttpMethod.POST)),
    /**
     * A stored response of a native Responses upstream: {@code GET}, {@code DELETE}, {@code POST …/cancel} (and
     * {@code GET …/input_items}), passed through to the native upstreams in order until one knows the id.
     */
    RESPONSE_ITEM("/v1/responses/{id}", Operation.RESPONSES, true,
            Set.of(HttpMethod.GET, HttpMethod.DELETE, HttpMethod.POST)),
    /** Anthropic's Messages API, bridged onto chat completions; errors in Anthropic's envelope. */
    MESSAGES("/v1/messages", Operation.CHAT_COMPLETIONS, true, Set.of(HttpMethod.POST)),
    /** Anthropic's token count for a Messages request: counted here with the model's tokenizer, no upstream call. */
    MESSAGES_COUNT_TOKENS("/v1/messages/count_tokens", Operation.CHAT_COMPLETIONS, true, Set.of(HttpMethod.POST)),
    /** Text to speech from the TTS engine (not an OpenAI operation): forwarded to the engine's {@code /} only. */
    TTS("/tts", null, true, Set.of(HttpMethod.GET, HttpMethod.HEAD)),

    // Answered locally on the event loop.
    MODELS("/v1/models", null, true, Set.of(HttpMethod.GET, HttpMethod.HEAD)),
    API_MODELS("/api/models", null, false, Set.of(HttpMethod.GET, HttpMethod.HEAD)),
    MODEL("/v1/models/{id}", null, true, Set.of(HttpMethod.GET, HttpMethod.HEAD)),
    RATE_LIMITS_OBSERVED("/v1/rate-limits/observed", null, true, Set.of(HttpMethod.GET, HttpMethod.HEAD)),
    RATE_LIMITS_DAILY("/v1/rate-limits/daily", null, true, Set.of(HttpMethod.GET, HttpMethod.HEAD)),
    STATS("/v1/stats", null, true, Set.of(HttpMethod.GET, HttpMethod.HEAD)),
    HISTORY("/v1/history", null, false, Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST)),
    /** Prometheus exposition; its path is {@code METRICS_PATH} (the template names the route, whatever the path). */
    METRICS("/metrics", null, true, Set.of(HttpMethod.GET, HttpMethod.HEAD)),
    HEALTH("/health", null, true, Set.of(HttpMethod.GET, HttpMethod.HEAD)),
    READY("/ready", null, true, Set.of(HttpMethod.GET, HttpMethod.HEAD)),
    /** The proxy's model tools (REFERENCE §2.10–§2.12): counted, scored or generated here, no upstream call. */
    CHECK_CONTEXT("/v1/check-context", null, false, Set.of(HttpMethod.POST)),
    RECOMMEND_MODEL("/v1/recommend-model", null, false, Set.of(HttpMethod.POST)),
    GENERATE_CODE("/api/generate-code", null, false, Set.of(HttpMethod.POST)),
    /** The web UI (module proxy-ui-static), served from the classpath; strict mode removes it. */
    ROOT("/", null, false, Set.of(HttpMethod.GET, HttpMethod.HEAD)),
    UI("/ui", null, false, Set.of(HttpMethod.GET, HttpMethod.HEAD)),
    MONITOR("/monitor", null, false, Set.of(HttpMethod.GET, HttpMethod.HEAD)),
    UI_ASSET("/static/{path}", null, false, Set.of(HttpMethod.GET, HttpMethod.HEAD)),
    WEBJAR("/webjars/{path}", null, false, Set.of(HttpMethod.GET, HttpMethod.HEAD));

    private final String template;
    private final Operation operation;
    private final boolean inStrictMode;
    private final Set<HttpMethod> methods;
    private final String allowHeader;

    Route(String template, Operation operation, boolean inStrictMode, Set<HttpMethod> methods) {
        this.template = template;
        this.operation = operation;
        this.inStrictMode = inStrictMode;
        this.methods = methods;
        StringBuilder allow = new StringBuilder();
        for (HttpMethod m : new HttpMethod[]{HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST, HttpMethod.DELETE}) {
            if (methods.contains(m)) {
                allow.append(m.name()).append(", ");
            }
        }
        this.allowHeader = allow.append("OPTIONS").toString();
    }

    /** Path template, e.g. {@code /v1/models/{id}}: the route's label in logs and metrics. */
    public String template() {
        return template;
    }

    /** The upstream operation for proxied routes; null for routes answered locally. */
    public Operation operation() {
        return operation;
    }

    public boolean proxied() {
        return operation != null;
    }

    /** False for the non-OpenAI aliases that {@code STRICT_OPENAI_API=1} removes. */
    public boolean inStrictMode() {
        return inStrictMode;
    }

    public boolean allows(HttpMethod method) {
        return methods.contains(method);
    }

    /** Value of the {@code Allow} header for 405 and OPTIONS answers. */
    public String allowHeader() {
        return allowHeader;
    }

    /** Routes that spend upstream quota or expose the API need the client key when one is configured. */
    public boolean needsClientKey() {
        return proxied() || this == TTS || template.startsWith("/v1/") || template.startsWith("/api/");
    }
}
