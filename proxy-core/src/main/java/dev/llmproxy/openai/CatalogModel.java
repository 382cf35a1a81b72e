package dev.llmproxy.openai;

import java.util.List;
import java.util.Objects;

/**
 * One model of the GitHub Models catalog, as {@code GET /catalog/models} describes it. Immutable.
 *
 * @param id               {@code publisher/name}, e.g. {@code openai/gpt-4o-mini}
 * @param name             display name, e.g. {@code OpenAI GPT-4o mini}
 * @param publisher        display name of the publisher, e.g. {@code OpenAI}
 * @param rateLimitTier    the catalog's {@code rate_limit_tier}: {@code low}, {@code high}, {@code embeddings}
 *                         or {@code custom}
 * @param maxInputTokens   context window the catalog states; null when the catalog says null
 * @param maxOutputTokens  output limit the catalog states; null for embeddings models
 * @param inputModalities  {@code text}, {@code image}, {@code audio}, in catalog order
 * @param outputModalities {@code text}, {@code embeddings}; may be empty (a catalog quirk, kept)
 * @param capabilities     {@code streaming}, {@code tool-calling}, {@code reasoning} …; may be empty
 * @param tags             free-form catalog tags
 */
public record CatalogModel(
        String id,
        String name,
        String publisher,
        String rateLimitTier,
        Integer maxInputTokens,
        Integer maxOutputTokens,
        List<String> inputModalities,
        List<String> outputModalities,
        List<String> capabilities,
        List<String> tags) {

    public CatalogModel {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(publisher, "publisher");
        Objects.requireNonNull(rateLimitTier, "rateLimitTier");
        inputModalities = List.copyOf(inputModalities);
        outputModalities = List.copyOf(outputModalities);
        capabilities = List.copyOf(capabilities);
        tags = List.copyOf(tags);
    }

    /** The id prefix before {@code /} ({@code openai} for {@code openai/gpt-4o}): the {@code owned_by} of /v1/models. */
    public String ownedBy() {
        int slash = id.indexOf('/');
        return slash < 0 ? id : id.substring(0, slash);
    }
}
