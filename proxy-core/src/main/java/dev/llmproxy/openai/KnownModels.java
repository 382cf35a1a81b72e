package dev.llmproxy.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The bundled table of well-known model families and their token limits ({@code known-models.json}, each entry with
 * the provider page or model card it came from), and the rule that applies it: a limit the upstream's listing
 * states wins, then the table, else the limit stays unknown — the proxy never guesses one.
 *
 * <h2>Matching</h2>
 * Ids and patterns are split into words by {@link ModelIdTokens}. A family matches an id when all words of one of its
 * patterns appear in the id's words in order ({@code gpt-4o-mini} is in {@code openai/gpt-4o-mini-2024-07-18}). Of
 * several matches, the pattern with the most words wins ({@code gpt-4o-mini} over {@code gpt-4o}), then the one
 * whose words sit closer together ({@code mistral-small-3.1} over {@code mistral-small-24b} for
 * {@code Mistral-Small-3.1-24B-Instruct-2503}), then the earlier entry of the file.
 *
 * <p>Threading: immutable; the bundled table is read once per class loader and shared. Matching costs a few
 * microseconds per id and runs when a listing is installed, never per request.
 */
public final class KnownModels {
    private static final String BUNDLED_RESOURCE = "known-models.json";

    /**
     * One family of the table.
     *
     * @param family              display name, e.g. {@code Meta Llama 3.1 (8B, 70B, 405B)}
     * @param patterns            the id patterns, as written in the file
     * @param contextWindow       the whole context window
     * @param maxInputTokens      a prompt limit below the window, where the provider states one; else null
     * @param maxOutputTokens     the ceiling of {@code max_tokens}; null when the provider states none
     * @param defaultOutputTokens the cap of an answer without {@code max_tokens}, where it is lower; else null
     * @param embeddings          the family outputs embeddings, not text
     * @param source              where the numbers come from (a URL)
     */
    public record Family(String family, List<String> patterns, int contextWindow, Integer maxInputTokens,
                         Integer maxOutputTokens, Integer defaultOutputTokens, boolean embeddings, String source) {
        public Family {
            Objects.requireNonNull(family, "family");
            patterns = List.copyOf(patterns);
            Objects.requireNonNull(source, "source");
        }

        /** The largest prompt: {@code maxInputTokens} when stated, else the context window. */
        public int inputLimit() {
            return maxInputTokens != null ? maxInputTokens : contextWindow;
        }

        /** This family's limits, sourced {@link LimitSource#KNOWN_MODELS}. */
        public ModelLimits limits() {
            boolean outputKnown = maxOutputTokens != null || defaultOutputTokens != null;
            return new ModelLimits(inputLimit(), maxOutputTokens, defaultOutputTokens, LimitSource.KNOWN_MODELS,
                    outputKnown ? LimitSource.KNOWN_MODELS : LimitSource.UNKNOWN);
        }
    }

    /** One pattern, split into words, with the family it belongs to and its place in the file. */
    private record Pattern(List<String> words, Family family, int order) {
    }

    private final List<Family> families;
    private final List<Pattern> patterns;

    private KnownModels(List<Family> families, List<Pattern> patterns) {
        this.families = List.copyOf(families);
        this.patterns = List.copyOf(patterns);
    }

    /** The table bundled in the jar. */
    public static KnownModels bundled() {
        return Bundled.INSTANCE;
    }

    private static final class Bundled {
        static final KnownModels INSTANCE = load();

        private static KnownModels load() {
            try (InputStream in = KnownModels.class.getResourceAsStream(BUNDLED_RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException("resource " + BUNDLED_RESOURCE + " missing from the classpath");
                }
                return parse(in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + BUNDLED_RESOURCE, e);
            }
        }
    }

    /**
     * Reads a table: {@code {"families": [{family, match: [pattern…], context_window, max_input_tokens?,
     * max_output_tokens?, default_output_tokens?, embeddings?, source}]}}.
     *
     * @throws IllegalArgumentException naming the first offending entry and key
     */
    static KnownModels parse(byte[] json) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("known models: not valid JSON (" + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        JsonNode entries = root == null ? null : root.get("families");
        if (entries == null || !entries.isArray()) {
            throw new IllegalArgumentException("known models: families missing (expected: an array of families)");
        }
        List<Family> families = new ArrayList<>(entries.size());
        List<Pattern> patterns = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            String where = "families[" + i + "]";
            Family family = family(entries.get(i), where);
            families.add(family);
            for (String pattern : family.patterns()) {
                List<String> words = ModelIdTokens.of(pattern);
                if (words.isEmpty()) {
                    throw new IllegalArgumentException(where + ".match: " + pattern + " (expected: a model id pattern)");
                }
                patterns.add(new Pattern(words, family, patterns.size()));
            }
        }
        return new KnownModels(families, patterns);
    }

    private static Family family(JsonNode entry, String where) {
        if (entry == null || !entry.isObject()) {
            throw new IllegalArgumentException(where + ": " + entry + " (expected: an object)");
        }
        JsonNode match = entry.get("match");
        if (match == null || !match.isArray() || match.isEmpty()) {
            throw new IllegalArgumentException(where + ".match: " + match + " (expected: a non-empty array of ids)");
        }
        List<String> patterns = new ArrayList<>(match.size());
        for (JsonNode pattern : match) {
            if (!pattern.isTextual()) {
                throw new IllegalArgumentException(where + ".match: " + match + " (expected: strings)");
            }
            patterns.add(pattern.textValue());
        }
        JsonNode embeddings = entry.get("embeddings");
        return new Family(text(entry, "family", where), patterns, positive(entry, "context_window", where, true),
                positive(entry, "max_input_tokens", where, false), positive(entry, "max_output_tokens", where, false),
                positive(entry, "default_output_tokens", where, false),
                embeddings != null && embeddings.asBoolean(false), text(entry, "source", where));
    }

    private static String text(JsonNode entry, String key, String where) {
        JsonNode value = entry.get(key);
        if (value == null || !value.isTextual() || value.textValue().isBlank()) {
            throw new IllegalArgumentException(where + "." + key + ": " + value + " (expected: a non-empty string)");
        }
        return value.textValue();
    }

    private static Integer positive(JsonNode entry, String key, String where, boolean required) {
        JsonNode value = entry.get(key);
        if (value == null || value.isNull()) {
            if (required) {
                throw new IllegalArgumentException(where + "." + key + ": missing (expected: a positive integer)");
            }
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() <= 0) {
            throw new IllegalArgumentException(where + "." + key + ": " + value + " (expected: a positive integer)");
        }
        return value.intValue();
    }

    /** Every family, in file order. */
    public List<Family> families() {
        return families;
    }

    /** The family {@code id} belongs to, by the matching rules in the class comment; empty when none matches. */
    public Optional<Family> find(String id) {
        List<String> words = ModelIdTokens.of(id);
        Pattern best = null;
        int bestGaps = Integer.MAX_VALUE;
        for (Pattern pattern : patterns) {
            int gaps = gaps(pattern.words(), words);
            if (gaps < 0) {
                continue;
            }
            if (best == null || pattern.words().size() > best.words().size()
                    || (pattern.words().size() == best.words().size() && gaps < bestGaps)) {
                best = pattern;
                bestGaps = gaps;
            }
        }
        return best == null ? Optional.empty() : Optional.of(best.family());
    }

    /**
     * {@code model} with what its limits leave unknown filled in from the first of {@code ids} that a family matches
     * (pass the model's id first, then e.g. vLLM's {@code root}, the base model a served name or adapter stands for).
     * Limits the model already has — from the upstream's listing, GitHub's catalog or the config — are kept, side by
     * side (input, output). An embeddings family also marks a model whose listing gave no output modalities as
     * outputting embeddings.
     */
    public CatalogModel complete(CatalogModel model, String... ids) {
        if (model.limits().complete() && !model.outputModalities().isEmpty()) {
            return model;
        }
        Family family = null;
        for (String id : ids) {
            if (id != null) {
                family = find(id).orElse(null);
                if (family != null) {
                    break;
                }
            }
        }
        if (family == null) {
            return model;
        }
        CatalogModel completed = model.withLimits(model.limits().orElse(family.limits()));
        if (family.embeddings() && completed.outputModalities().isEmpty()) {
            completed = completed.withOutputModalities(List.of("embeddings"));
        }
        return completed;
    }

    /**
     * How many times the words of {@code pattern} break apart when found in order in {@code id}, at the placement
     * that breaks them least; -1 when they are not all there in order.
     */
    static int gaps(List<String> pattern, List<String> id) {
        int n = id.size();
        final int none = Integer.MAX_VALUE;
        int[] previous = new int[n];
        int[] current = new int[n];
        for (int j = 0; j < n; j++) {
            previous[j] = pattern.get(0).equals(id.get(j)) ? 0 : none;
        }
        for (int i = 1; i < pattern.size(); i++) {
            String word = pattern.get(i);
            for (int j = 0; j < n; j++) {
                current[j] = none;
                if (!word.equals(id.get(j))) {
                    continue;
                }
                for (int k = 0; k < j; k++) {
                    if (previous[k] != none) {
                        current[j] = Math.min(current[j], previous[k] + (k == j - 1 ? 0 : 1));
                    }
                }
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        int best = none;
        for (int value : previous) {
            best = Math.min(best, value);
        }
        return best == none ? -1 : best;
    }
}
