package dev.llmproxy.openai;

/** The OpenAI operations the proxy forwards, with the upstream path each one calls. */
public enum Operation {
    CHAT_COMPLETIONS("/chat/completions"),
    EMBEDDINGS("/embeddings"),
    /** {@code POST /v1/completions}: converted to a chat call and the answer converted back (REFERENCE §2.5). */
    LEGACY_COMPLETIONS("/chat/completions"),
    /** OpenAI's text-to-speech API; audio streams back unchanged. */
    AUDIO_SPEECH("/audio/speech"),
    /** OpenAI's Responses API, passed through to an upstream that serves it natively. */
    RESPONSES("/responses");

    private final String upstreamPath;

    Operation(String upstreamPath) {
        this.upstreamPath = upstreamPath;
    }

    /** Path relative to the upstream base URL. */
    public String upstreamPath() {
        return upstreamPath;
    }
}
