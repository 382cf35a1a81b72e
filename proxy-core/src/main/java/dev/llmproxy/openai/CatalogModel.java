package dev.llmproxy.openai;

import java.util.List;
import java.util.Objects;

/**
 * One model an upstream serves, as its catalog or model listing describes it, with the token limits the proxy knows
 * for it. Immutable.
 *
 * <p>GitHub's catalog ({@code GET /catalog/models}, the {@code github-models} kind) fills every field; an
 * OpenAI-style listing ({@code GET /models}, see {@link ModelListing}) often gives only the id and {@code owned_by},
 * so the rest is empty or null there.
 *
 * @param id               the id a client sends and the upstream accepts: {@code openai/gpt-4o-mini} (GitHub,
 *                         OpenRouter), {@code gpt-4o-mini} (OpenAI), {@code llama3.2:3b} (Ollama) …
 * @param name             display name ({@code OpenAI GPT-4o mini}); the id when the upstream gives none
 * @param publisher        display name of the publisher ({@code OpenAI}); {@code ownedBy} when the upstream gives
 *                         none
 * @param ownedBy          the {@code owned_by} of {@code /v1/models}: the upstream's own value ({@code system},
 *                         {@code library}, {@code vllm} …), or for GitHub's catalog the id's prefix
 * @param rateLimitTier    GitHub's {@code rate_limit_tier} ({@code low}, {@code high}, {@code embeddings},
 *                         {@code custom}); null for every other upstream
 * @param limits           the token limits and where each came from
 * @param inputModalities  {@code text}, {@code image}, {@code audio}, in the upstream's order; empty when unknown
 * @param outputModalities {@code text}, {@code embeddings}; empty when unknown (or a GitHub catalog quirk, kept)
 * @param capabilities     {@code streaming}, {@code tool-calling}, {@code reasoning} …; may be empty
 * @param tags             free-form catalog tags
 */
public record CatalogModel(
        String id,
        String name,
        String publisher,
        String ownedBy,
        String rateLimitTier,
        ModelLimits limits,
        List<String> inputModalities,
        List<String> outputModalities,
        List<String> capabilities,
        List<String> tags) {

    public CatalogModel {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(publisher, "publisher");
        Objects.requireNonNull(ownedBy, "ownedBy");
        Objects.requireNonNull(limits, "limits");
        inputModalities = List.copyOf(inputModalities);
        outputModalities = List.copyOf(outputModalities);
        capabilities = List.copyOf(capabilities);
        tags = List.copyOf(tags);
    }

    /**
     * A model of GitHub's catalog: {@code owned_by} is the id's prefix ({@code openai} for {@code openai/gpt-4o}),
     * and the limits, when not null, come from the catalog.
     */
    public static CatalogModel gitHubCatalog(String id, String name, String publisher, String rateLimitTier,
                                             Integer maxInputTokens, Integer maxOutputTokens,
                                             List<String> inputModalities, List<String> outputModalities,
                                             List<String> capabilities, List<String> tags) {
        return new CatalogModel(id, name, publisher, idPrefix(Objects.requireNonNull(id, "id")),
                Objects.requireNonNull(rateLimitTier, "rateLimitTier"),
                ModelLimits.of(maxInputTokens, maxOutputTokens, LimitSource.CATALOG), inputModalities,
                outputModalities, capabilities, tags);
    }

    /** A model an upstream listed by id alone: nothing known but its id and owner. */
    public static CatalogModel listed(String id, String ownedBy) {
        return new CatalogModel(id, id, ownedBy, ownedBy, null, ModelLimits.UNKNOWN, List.of(), List.of(), List.of(),
                List.of());
    }

    /** The input limit ({@link ModelLimits#input()}), or null when unknown. */
    public Integer maxInputTokens() {
        return limits.input();
    }

    /** The output limit ({@link ModelLimits#output()}), or null when unknown or none (embeddings). */
    public Integer maxOutputTokens() {
        return limits.output();
    }

    /** This model with other limits. */
    public CatalogModel withLimits(ModelLimits next) {
        return new CatalogModel(id, name, publisher, ownedBy, rateLimitTier, next, inputModalities, outputModalities,
                capabilities, tags);
    }

    /** This model with other output modalities (what a table knows and a bare listing does not). */
    public CatalogModel withOutputModalities(List<String> next) {
        return new CatalogModel(id, name, publisher, ownedBy, rateLimitTier, limits, inputModalities, next,
                capabilities, tags);
    }

    /** The id prefix before {@code /} ({@code openai} for {@code openai/gpt-4o}); the whole id without one. */
    static String idPrefix(String id) {
        int slash = id.indexOf('/');
        return slash < 0 ? id : id.substring(0, slash);
    }
}
