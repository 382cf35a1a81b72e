package dev.llmproxy.config;

import java.net.URI;
import java.util.Optional;

/**
 * What an upstream is, which fixes the defaults of its other keys: base URL, auth header, Responses API mode and
 * model catalog. Only these defaults differ between kinds; any kind takes an explicit {@code base_url}.
 */
public enum UpstreamKind implements WireName {
    /** OpenAI's own API. */
    OPENAI("openai", "https://api.openai.com/v1", UpstreamAuth.BEARER, ResponsesMode.NATIVE, null),
    /** Azure OpenAI / Microsoft Foundry, v1 API ({@code https://<resource>.openai.azure.com/openai/v1}). */
    AZURE("azure", null, UpstreamAuth.API_KEY, ResponsesMode.NATIVE, null),
    /** Any server speaking the OpenAI chat API: OpenRouter, vLLM, Ollama, llama.cpp, LM Studio. */
    OPENAI_COMPATIBLE("openai-compatible", null, UpstreamAuth.BEARER, ResponsesMode.BRIDGE, null),
    /**
     * GitHub Models, retired on 2026-07-30 (its API answers 410 Gone); kept as a legacy profile for its catalog ids
     * and short-name resolution.
     */
    GITHUB_MODELS("github-models", "https://models.github.ai/inference", UpstreamAuth.BEARER, ResponsesMode.BRIDGE,
            "https://models.github.ai/catalog/models");

    private final String wireName;
    private final Optional<URI> defaultBaseUrl;
    private final UpstreamAuth defaultAuth;
    private final ResponsesMode defaultResponses;
    private final Optional<URI> defaultCatalogUrl;

    UpstreamKind(String wireName, String defaultBaseUrl, UpstreamAuth defaultAuth, ResponsesMode defaultResponses,
                 String defaultCatalogUrl) {
        this.wireName = wireName;
        this.defaultBaseUrl = Optional.ofNullable(defaultBaseUrl).map(URI::create);
        this.defaultAuth = defaultAuth;
        this.defaultResponses = defaultResponses;
        this.defaultCatalogUrl = Optional.ofNullable(defaultCatalogUrl).map(URI::create);
    }

    @Override
    public String wireName() {
        return wireName;
    }

    /** The base URL when {@code base_url} is absent; empty when the kind has none, so {@code base_url} is required. */
    public Optional<URI> defaultBaseUrl() {
        return defaultBaseUrl;
    }

    /** {@code api-key} for Azure, {@code bearer} otherwise. */
    public UpstreamAuth defaultAuth() {
        return defaultAuth;
    }

    /** {@code native} for OpenAI and Azure, {@code bridge} otherwise. */
    public ResponsesMode defaultResponses() {
        return defaultResponses;
    }

    /** Where the model catalog (token limits, modalities) comes from when {@code catalog_url} is absent. */
    public Optional<URI> defaultCatalogUrl() {
        return defaultCatalogUrl;
    }

    /** The proxy cannot work without the upstream's own key: OpenAI and Azure refuse anonymous calls. */
    public boolean requiresApiKey() {
        return this == OPENAI || this == AZURE;
    }
}
