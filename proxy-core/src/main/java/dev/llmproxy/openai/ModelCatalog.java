package dev.llmproxy.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The set of model ids one upstream serves, and the mapping of the names clients send to those ids. Immutable, so one
 * instance is shared by every event loop; a live refresh builds a new instance ({@link #parse(byte[])} for GitHub's
 * catalog, {@link #of(List)} for an OpenAI-style listing) and swaps the reference.
 *
 * <p>Why resolve at all: {@code models.github.ai/inference} accepts only {@code publisher/name} ids, while UIs, SDK
 * samples and older docs send short or mixed-case names ({@code gpt-4o-mini}, {@code Mistral-Nemo}). Resolving them
 * also keys local bookkeeping (buckets, stats, metric labels) by one string per model. Short names are resolved for
 * GitHub's catalog only: on other upstreams {@code openai/gpt-4o} is an OpenRouter id, not a publisher prefix.
 */
public final class ModelCatalog {
    private static final String BUNDLED_RESOURCE = "github-models-catalog.json";

    private final List<CatalogModel> models;
    /** lower-cased id → model. */
    private final Map<String, CatalogModel> byLowerId;
    /** lower-cased part after {@code /} → id, only for parts that exactly one id has. */
    private final Map<String, String> idByLowerShortName;

    private ModelCatalog(List<CatalogModel> models, boolean resolvesShortNames) {
        this.models = List.copyOf(models);
        Map<String, CatalogModel> ids = new HashMap<>();
        Map<String, String> shortNames = new HashMap<>();
        Set<String> ambiguous = new HashSet<>();
        for (CatalogModel model : this.models) {
            String lowerId = model.id().toLowerCase(Locale.ROOT);
            if (ids.putIfAbsent(lowerId, model) != null) {
                throw new IllegalArgumentException("catalog: duplicate id " + model.id()
                        + " (expected: ids unique ignoring case)");
            }
            int slash = lowerId.indexOf('/');
            if (resolvesShortNames && slash >= 0 && lowerId.indexOf('/', slash + 1) < 0) {
                String shortName = lowerId.substring(slash + 1);
                if (shortNames.putIfAbsent(shortName, model.id()) != null) {
                    ambiguous.add(shortName);
                }
            }
        }
        shortNames.keySet().removeAll(ambiguous);
        this.byLowerId = Map.copyOf(ids);
        this.idByLowerShortName = Map.copyOf(shortNames);
    }

    /**
     * The models of an upstream other than GitHub Models (its {@code GET /models} listing, or the config's fixed
     * list): ids are found ignoring case, short names are not resolved. May be empty (no listing yet).
     *
     * @throws IllegalArgumentException when two ids are equal ignoring case
     */
    public static ModelCatalog of(List<CatalogModel> models) {
        return new ModelCatalog(models, false);
    }

    /** {@code models}, resolving GitHub's short names too ({@link #resolve}), as for a GitHub Models upstream. */
    public static ModelCatalog withShortNames(List<CatalogModel> models) {
        return new ModelCatalog(models, true);
    }

    /** The catalog bundled in the jar (58 models, see {@code CATALOG-FORMAT.md}). */
    public static ModelCatalog bundled() {
        try (InputStream in = ModelCatalog.class.getResourceAsStream(BUNDLED_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + BUNDLED_RESOURCE + " missing from the classpath");
            }
            return parse(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + BUNDLED_RESOURCE, e);
        }
    }

    /**
     * Reads a catalog: a bare JSON array of model objects, either the real {@code GET /catalog/models} shape (token
     * limits in {@code limits: {max_input_tokens, max_output_tokens}}) or the bundled file's flat shape (the same two
     * keys at top level). Unknown keys ({@code summary}, {@code registry}, {@code html_url} …) are ignored;
     * {@code capabilities}, {@code limits} and the modalities may be absent (the May 2025 response had no
     * capabilities and no limits).
     *
     * <p>An empty array is rejected too: a refresh that returned nothing must not empty the proxy's model list.
     *
     * @throws IllegalArgumentException when the input is not such an array, naming the first offending entry and key
     */
    public static ModelCatalog parse(byte[] json) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("catalog: not valid JSON (" + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // reading a byte array does no I/O
        }
        if (root == null || !root.isArray()) {
            throw new IllegalArgumentException("catalog: " + describe(root)
                    + " (expected: a bare JSON array of model objects)");
        }
        if (root.isEmpty()) {
            throw new IllegalArgumentException("catalog: empty array (expected: at least one model)");
        }
        List<CatalogModel> models = new ArrayList<>(root.size());
        for (int i = 0; i < root.size(); i++) {
            models.add(parseModel(root.get(i), "catalog[" + i + "]"));
        }
        return new ModelCatalog(models, true);
    }

    private static CatalogModel parseModel(JsonNode entry, String where) {
        if (!entry.isObject()) {
            throw new IllegalArgumentException(where + ": " + describe(entry) + " (expected: a model object)");
        }
        JsonNode limits = entry.get("limits");
        JsonNode tokenLimits;
        if (limits == null || limits.isNull()) {
            tokenLimits = entry;
        } else if (limits.isObject()) {
            tokenLimits = limits;
        } else {
            throw new IllegalArgumentException(where + ".limits: " + describe(limits) + " (expected: an object)");
        }
        String tokenWhere = tokenLimits == entry ? where : where + ".limits";
        return CatalogModel.gitHubCatalog(
                requiredString(entry, "id", where),
                requiredString(entry, "name", where),
                requiredString(entry, "publisher", where),
                requiredString(entry, "rate_limit_tier", where),
                optionalInt(tokenLimits, "max_input_tokens", tokenWhere),
                optionalInt(tokenLimits, "max_output_tokens", tokenWhere),
                stringList(entry, "supported_input_modalities", where),
                stringList(entry, "supported_output_modalities", where),
                stringList(entry, "capabilities", where),
                stringList(entry, "tags", where));
    }

    private static String requiredString(JsonNode entry, String key, String where) {
        JsonNode value = entry.get(key);
        if (value == null || !value.isTextual() || value.textValue().isBlank()) {
            throw new IllegalArgumentException(where + "." + key + ": " + describe(value)
                    + " (expected: a non-empty string)");
        }
        return value.textValue();
    }

    private static Integer optionalInt(JsonNode parent, String key, String where) {
        JsonNode value = parent.get(key);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < 0) {
            throw new IllegalArgumentException(where + "." + key + ": " + describe(value)
                    + " (expected: a non-negative integer or null)");
        }
        return value.intValue();
    }

    private static List<String> stringList(JsonNode entry, String key, String where) {
        JsonNode value = entry.get(key);
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw new IllegalArgumentException(where + "." + key + ": " + describe(value)
                    + " (expected: an array of strings)");
        }
        List<String> strings = new ArrayList<>(value.size());
        for (JsonNode element : value) {
            if (!element.isTextual()) {
                throw new IllegalArgumentException(where + "." + key + ": " + describe(value)
                        + " (expected: an array of strings)");
            }
            strings.add(element.textValue());
        }
        return strings;
    }

    /** Enough of a bad value to find it, never a whole document. */
    private static String describe(JsonNode value) {
        if (value == null || value.isMissingNode()) {
            return "missing";
        }
        String text = value.toString();
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }

    /** Every model, in file order (the order of {@code /v1/models}). */
    public List<CatalogModel> models() {
        return models;
    }

    public int size() {
        return models.size();
    }

    /** The model whose id equals {@code id} ignoring case; short names are not looked up (see {@link #resolve}). */
    public Optional<CatalogModel> find(String id) {
        return Optional.ofNullable(byLowerId.get(id.toLowerCase(Locale.ROOT)));
    }

    /**
     * The catalog id a client's model name means: the id itself ignoring case ({@code OpenAI/GPT-4o} →
     * {@code openai/gpt-4o}), else, in GitHub's catalog, the one id whose part after {@code /} equals the name
     * ignoring case ({@code Mistral-Nemo} → {@code mistral-ai/mistral-nemo}). Anything else — unknown, or a short name that two
     * publishers share — comes back unchanged, so upstream gets what the client sent and answers for it.
     *
     * <p>Hot path: two map lookups; the only allocation is the lower-cased copy, and none when the name is already
     * lower case.
     */
    public String resolve(String requested) {
        String lower = requested.toLowerCase(Locale.ROOT);
        CatalogModel exact = byLowerId.get(lower);
        if (exact != null) {
            return exact.id();
        }
        // Short-name keys contain no '/', so a name with a publisher prefix that is not in the catalog misses here.
        String byShortName = idByLowerShortName.get(lower);
        return byShortName != null ? byShortName : requested;
    }
}
