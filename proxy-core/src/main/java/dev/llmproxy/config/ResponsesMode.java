package dev.llmproxy.config;

/** How {@code POST /v1/responses} reaches an upstream. */
public enum ResponsesMode implements WireName {
    /** Forwarded as is: the upstream implements the Responses API (OpenAI, Azure v1). */
    NATIVE("native"),
    /** Translated to {@code /chat/completions} and back by the proxy (most OpenAI-compatible servers). */
    BRIDGE("bridge");

    private final String wireName;

    ResponsesMode(String wireName) {
        this.wireName = wireName;
    }

    @Override
    public String wireName() {
        return wireName;
    }
}
