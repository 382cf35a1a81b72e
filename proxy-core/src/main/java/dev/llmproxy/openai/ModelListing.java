package dev.llmproxy.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads an upstream's model listing, the answer to {@code GET <base>/models}, into catalog models whose unknown token
 * limits are filled from {@link KnownModels}. A pure function of the bytes (and the clock, for Azure's retirement
 * dates); it logs skipped entries at debug only.
 *
 * <h2>The shapes it reads</h2>
 * All are {@code {"object":"list","data":[…]}}; each entry's {@code id} is required, everything else optional.
 * <ul>
 *   <li>OpenAI (API reference, "List models"): {@code id}, {@code object: "model"}, {@code created},
 *       {@code owned_by}.</li>
 *   <li>Azure OpenAI / Foundry (REST reference, "Models - List"): no {@code owned_by} (the upstream's name stands
 *       for it); {@code created_at};
 *       {@code capabilities: {inference, chat_completion, completion, embeddings, fine_tune}} (booleans) — a model
 *       with {@code inference: false} cannot be called and is skipped, {@code embeddings}/{@code chat_completion}
 *       give the output modality; {@code deprecation: {inference}} (Unix seconds) — past it the model is retired and
 *       skipped; {@code lifecycle_status} is not needed.</li>
 *   <li>OpenRouter (docs, "Models API": model object schema): {@code name}; {@code context_length} (else
 *       {@code top_provider.context_length}) as the input limit; {@code top_provider.max_completion_tokens} as the
 *       output limit; {@code architecture.input_modalities}/{@code output_modalities}; {@code supported_parameters}
 *       containing {@code tools} → the {@code tool-calling} capability, {@code reasoning} → {@code reasoning}. No
 *       {@code owned_by}: the id's prefix ({@code openai} of {@code openai/gpt-4o}) stands for it. OpenRouter streams
 *       every model, so such entries carry {@code streaming}.</li>
 *   <li>vLLM ({@code vllm serve}, its {@code ModelCard}s of {@code show_available_models}): {@code owned_by:
 *       "vllm"}; a base model's card has {@code max_model_len} (the served context length) as the input limit and
 *       {@code root}, the model path behind the served name, used to find the family when the id names none; a LoRA
 *       adapter's card has no {@code max_model_len} but {@code parent}, the served name of its base model, whose
 *       limits it shares; {@code permission} is ignored.</li>
 *   <li>Ollama ({@code /v1/models}, OpenAI compatibility): {@code id} like {@code llama3.2:3b},
 *       {@code owned_by: "library"} for official models.</li>
 *   <li>llama.cpp server: {@code owned_by: "llamacpp"}, the GGUF file name as id, and {@code meta.n_ctx_train} (the
 *       context length the model was trained with) as the input limit. LM Studio: {@code id}, {@code owned_by}
 *       only.</li>
 * </ul>
 *
 * <h2>Robustness</h2>
 * Unknown keys are ignored; an optional field of the wrong type, or a limit that is not a positive integer, is
 * ignored (debug log); an entry without a string {@code id} is skipped, and so is a later entry whose id equals an
 * earlier one ignoring case. What is refused as a whole (so the caller keeps its last good list): a body over
 * {@link #MAX_BODY_BYTES}, anything but a JSON object with a {@code data} array, and a listing with no usable entry.
 * At most {@link #MAX_MODELS} models are taken.
 *
 * <h2>Token limits</h2>
 * What the listing states wins ({@link LimitSource#LISTING}) — for an entry, or for the listed {@code parent} of a
 * vLLM adapter; what it leaves unknown comes from the bundled table ({@link LimitSource#KNOWN_MODELS}) by the id,
 * then vLLM's {@code root}, then {@code parent}; else it stays unknown.
 */
public final class ModelListing {
    private static final Logger log = LoggerFactory.getLogger(ModelListing.class);

    /** Bigger answers are refused: OpenRouter's listing of about 400 models with descriptions is near 1.5 MB. */
    public static final int MAX_BODY_BYTES = 8 * 1024 * 1024;
    /** Models taken from one listing; the rest is ignored, so no listing can grow the proxy's tables unbounded. */
    public static final int MAX_MODELS = 5_000;
    private ModelListing() {
    }

    /**
     * @param body     the answer's bytes
     * @param upstream the upstream's name, the {@code owned_by} of entries that have none and whose id has no
     *                 prefix either (Azure's)
     * @param known    the table that fills limits the listing does not state
     * @param now   the time against which Azure's {@code deprecation.inference} dates are compared
     * @return the usable models, in listing order; never empty
     * @throws IllegalArgumentException with a reason fit for a log line, when the listing as a whole is unusable
     */
    public static List<CatalogModel> parse(byte[] body, String upstream, KnownModels known, Instant now) {
        if (body.length > MAX_BODY_BYTES) {
            throw new IllegalArgumentException("listing: " + body.length + " bytes (expected: at most "
                    + MAX_BODY_BYTES + ")");
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("listing: not valid JSON (" + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // reading a byte array does no I/O
        }
        JsonNode data = root == null ? null : root.get("data");
        if (data == null || !data.isArray()) {
            throw new IllegalArgumentException("listing: " + shape(root)
                    + " (expected: an object {\"object\":\"list\",\"data\":[…]})");
        }
        if (data.isEmpty()) {
            throw new IllegalArgumentException("listing: data is empty (expected: at least one model)");
        }
        List<Listed> listed = new ArrayList<>(Math.min(data.size(), MAX_MODELS));
        Set<String> lowerIds = new HashSet<>();
        Map<String, ModelLimits> listedLimits = new HashMap<>();
        for (int i = 0; i < data.size() && listed.size() < MAX_MODELS; i++) {
            Listed entry = entry(data.get(i), i, upstream, now);
            if (entry == null) {
                continue;
            }
            if (!lowerIds.add(entry.model().id().toLowerCase(Locale.ROOT))) {
                log.debug("listing: data[{}] skipped: id {} listed before", i, entry.model().id());
                continue;
            }
            listed.add(entry);
            listedLimits.put(entry.model().id(), entry.model().limits());
        }
        if (data.size() > MAX_MODELS) {
            log.debug("listing: {} entries, only the first {} taken", data.size(), MAX_MODELS);
        }
        if (listed.isEmpty()) {
            throw new IllegalArgumentException("listing: none of the " + data.size()
                    + " entries is usable (expected: objects with a string id)");
        }
        List<CatalogModel> models = new ArrayList<>(listed.size());
        for (Listed entry : listed) {
            CatalogModel model = entry.model();
            ModelLimits parent = entry.parent() == null ? null : listedLimits.get(entry.parent());
            if (parent != null) {
                model = model.withLimits(model.limits().orElse(parent));
            }
            models.add(known.complete(model, model.id(), entry.root(), entry.parent()));
        }
        return models;
    }

    /** One entry before the table fills its gaps, with the ids that name its base model (vLLM), or null. */
    private record Listed(CatalogModel model, String root, String parent) {
    }

    /** One entry, or null when it is skipped. */
    private static Listed entry(JsonNode entry, int index, String upstream, Instant now) {
        String where = "data[" + index + "]";
        if (!entry.isObject()) {
            log.debug("listing: {} skipped: not an object", where);
            return null;
        }
        JsonNode idNode = entry.get("id");
        if (idNode == null || !idNode.isTextual() || idNode.textValue().isBlank()) {
            log.debug("listing: {} skipped: no string id", where);
            return null;
        }
        String id = idNode.textValue();
        JsonNode capabilities = objectField(entry, "capabilities", where);
        if (capabilities != null && isFalse(capabilities.get("inference"))) {
            log.debug("listing: {} ({}) skipped: capabilities.inference is false", where, id);
            return null;
        }
        Long retires = positiveLong(objectField(entry, "deprecation", where), "inference", where);
        if (retires != null && retires <= now.getEpochSecond()) {
            log.debug("listing: {} ({}) skipped: retired for inference at {}", where, id, retires);
            return null;
        }

        String ownedBy = text(entry, "owned_by", where);
        if (ownedBy == null) {
            ownedBy = id.indexOf('/') > 0 ? CatalogModel.idPrefix(id) : upstream;
        }
        String name = text(entry, "name", where);

        JsonNode architecture = objectField(entry, "architecture", where);
        JsonNode topProvider = objectField(entry, "top_provider", where);
        JsonNode meta = objectField(entry, "meta", where);
        Integer input = firstNonNull(
                positiveInt(entry, "context_length", where),
                positiveInt(topProvider, "context_length", where),
                positiveInt(entry, "max_model_len", where),
                positiveInt(meta, "n_ctx_train", where));
        Integer output = positiveInt(topProvider, "max_completion_tokens", where);

        List<String> inputModalities = strings(architecture, "input_modalities", where);
        List<String> outputModalities = strings(architecture, "output_modalities", where);
        if (outputModalities.isEmpty() && capabilities != null) {
            outputModalities = azureOutputs(capabilities);
        }
        List<String> supported = strings(entry, "supported_parameters", where);
        List<String> capabilityNames = new ArrayList<>(3);
        if (architecture != null || !supported.isEmpty()) {
            capabilityNames.add("streaming");
        }
        if (supported.contains("tools")) {
            capabilityNames.add("tool-calling");
        }
        if (supported.contains("reasoning")) {
            capabilityNames.add("reasoning");
        }

        CatalogModel model = new CatalogModel(id, name == null ? id : name, ownedBy, ownedBy, null,
                ModelLimits.of(input, output, LimitSource.LISTING), inputModalities, outputModalities,
                capabilityNames, List.of());
        return new Listed(model, text(entry, "root", where), text(entry, "parent", where));
    }

    /** Azure's capability flags as output modalities; empty when they say neither. */
    private static List<String> azureOutputs(JsonNode capabilities) {
        if (isTrue(capabilities.get("embeddings"))) {
            return List.of("embeddings");
        }
        if (isTrue(capabilities.get("chat_completion")) || isTrue(capabilities.get("completion"))) {
            return List.of("text");
        }
        return List.of();
    }

    private static JsonNode objectField(JsonNode parent, String key, String where) {
        JsonNode value = parent.get(key);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isObject()) {
            log.debug("listing: {}.{} ignored: {} (expected: an object)", where, key, value.getNodeType());
            return null;
        }
        return value;
    }

    private static String text(JsonNode parent, String key, String where) {
        JsonNode value = parent.get(key);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual() || value.textValue().isBlank()) {
            log.debug("listing: {}.{} ignored: {} (expected: a non-empty string)", where, key, value.getNodeType());
            return null;
        }
        return value.textValue();
    }

    private static Integer positiveInt(JsonNode parent, String key, String where) {
        Long value = positiveLong(parent, key, where);
        if (value != null && value > Integer.MAX_VALUE) {
            log.debug("listing: {}.{} ignored: {} (expected: an int)", where, key, value);
            return null;
        }
        return value == null ? null : value.intValue();
    }

    private static Long positiveLong(JsonNode parent, String key, String where) {
        JsonNode value = parent == null ? null : parent.get(key);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() <= 0) {
            log.debug("listing: {}.{} ignored: {} (expected: a positive integer)", where, key, value);
            return null;
        }
        return value.longValue();
    }

    private static List<String> strings(JsonNode parent, String key, String where) {
        JsonNode value = parent == null ? null : parent.get(key);
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            log.debug("listing: {}.{} ignored: {} (expected: an array of strings)", where, key, value.getNodeType());
            return List.of();
        }
        List<String> strings = new ArrayList<>(value.size());
        for (JsonNode element : value) {
            if (element.isTextual()) {
                strings.add(element.textValue());
            }
        }
        return strings;
    }

    private static boolean isTrue(JsonNode value) {
        return value != null && value.isBoolean() && value.booleanValue();
    }

    private static boolean isFalse(JsonNode value) {
        return value != null && value.isBoolean() && !value.booleanValue();
    }

    @SafeVarargs
    private static <T> T firstNonNull(T... values) {
        for (T value : values) {
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    /** What the answer was instead of a listing, in a few words. */
    private static String shape(JsonNode root) {
        if (root == null || root.isMissingNode()) {
            return "empty body";
        }
        if (root.isArray()) {
            return "a bare array";
        }
        if (root.isObject()) {
            JsonNode data = root.get("data");
            return data == null ? "an object without data" : "data is " + data.getNodeType().name().toLowerCase(Locale.ROOT);
        }
        return "a JSON " + root.getNodeType().name().toLowerCase(Locale.ROOT);
    }
}
