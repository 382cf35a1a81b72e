package dev.llmproxy.openai;

/**
 * Where a model's token limit came from, as {@code /v1/models} and {@code check-context} name it. The order of the
 * constants is not a precedence: an upstream listing beats the bundled table, and the operator's config beats both
 * (see {@link KnownModels#complete}).
 */
public enum LimitSource {
    /** The upstream's own {@code GET /models} answer said so (OpenRouter, vLLM, llama.cpp). */
    LISTING("listing"),
    /** The bundled table of well-known model families ({@code known-models.json}). */
    KNOWN_MODELS("known-models"),
    /** GitHub's model catalog (the {@code github-models} kind). */
    CATALOG("catalog"),
    /** The operator's configuration. */
    CONFIG("config"),
    /** Nobody said: the proxy does not guess, and checks that need the limit skip the model. */
    UNKNOWN("unknown");

    private final String wireName;

    LimitSource(String wireName) {
        this.wireName = wireName;
    }

    /** The name in JSON answers: {@code listing}, {@code known-models}, {@code catalog}, {@code config}, {@code unknown}. */
    public String wireName() {
        return wireName;
    }
}
