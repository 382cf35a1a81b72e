package dev.llmproxy.config;

/** How an upstream is told who is calling: the header the proxy sends with each request. */
public enum UpstreamAuth implements WireName {
    /** {@code Authorization: Bearer <api_key>} (OpenAI, OpenRouter, vLLM {@code --api-key}, GitHub Models). */
    BEARER("bearer"),
    /** {@code api-key: <api_key>} (Azure OpenAI key authentication). */
    API_KEY("api-key"),
    /** No credential (a local Ollama, vLLM or llama.cpp server). */
    NONE("none"),
    /** The client's own {@code Authorization} is forwarded; the proxy holds no key for this upstream. */
    PASSTHROUGH("passthrough");

    private final String wireName;

    UpstreamAuth(String wireName) {
        this.wireName = wireName;
    }

    @Override
    public String wireName() {
        return wireName;
    }

    /** The proxy sends its own {@code api_key}: bearer or api-key, never none or passthrough. */
    public boolean sendsApiKey() {
        return this == BEARER || this == API_KEY;
    }
}
