package dev.llmproxy.tools;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the proxy's model list ({@code GET /v1/models}) into {@link ProxyModel}s, in the proxy's order, and groups
 * them by upstream. Tolerant of shapes: {@code upstream} is optional (absent: one upstream,
 * {@value ProxyModel#DEFAULT_UPSTREAM}); token limits are read from {@code limits.max_input_tokens} /
 * {@code limits.max_output_tokens}, or the top-level {@code max_input_tokens}, {@code context_length},
 * {@code context_window}, {@code max_model_len} / {@code max_output_tokens}, {@code max_completion_tokens}.
 * Stateless.
 */
final class ProxyModels {
    static final String PATH = "/v1/models";

    private ProxyModels() {
    }

    /** The proxy's models; a failure to list them ends the tool (exit 1). */
    static List<ProxyModel> fetch(ProxyClient client) {
        ProxyAnswer answer;
        try {
            answer = client.get(PATH);
        } catch (IOException e) {
            throw ToolException.failed("GET " + PATH + " failed: " + e.getMessage(), e);
        }
        if (!answer.ok()) {
            throw ToolException.failed("GET " + PATH + " answered " + answer.status() + ": " + answer.errorMessage(),
                    null);
        }
        JsonNode data = answer.json().path("data");
        if (!data.isArray()) {
            throw ToolException.failed("GET " + PATH + " is not a model list: " + answer.errorMessage(), null);
        }
        return parse(data);
    }

    /** The entries of a {@code data} array that have an id. */
    static List<ProxyModel> parse(JsonNode data) {
        List<ProxyModel> models = new ArrayList<>();
        for (JsonNode entry : data) {
            JsonNode id = entry.path("id");
            if (!id.isTextual() || id.textValue().isBlank()) {
                continue;
            }
            JsonNode upstream = entry.path("upstream");
            models.add(new ProxyModel(id.textValue(),
                    upstream.isTextual() && !upstream.textValue().isBlank() ? upstream.textValue()
                            : ProxyModel.DEFAULT_UPSTREAM,
                    entry.path("owned_by").asText(""),
                    firstLong(entry, "/limits/max_input_tokens", "/max_input_tokens", "/context_length",
                            "/context_window", "/max_model_len"),
                    firstLong(entry, "/limits/max_output_tokens", "/max_output_tokens", "/max_completion_tokens",
                            "/top_provider/max_completion_tokens"),
                    isEmbeddings(entry, id.textValue())));
        }
        return models;
    }

    /** Models by upstream name, upstreams and models in the proxy's order. */
    static Map<String, List<ProxyModel>> byUpstream(List<ProxyModel> models) {
        Map<String, List<ProxyModel>> groups = new LinkedHashMap<>();
        for (ProxyModel model : models) {
            groups.computeIfAbsent(model.upstream(), name -> new ArrayList<>()).add(model);
        }
        return groups;
    }

    /** Up to {@code perUpstream} chat models of each upstream, in the proxy's order. */
    static List<ProxyModel> representative(List<ProxyModel> models, int perUpstream) {
        List<ProxyModel> chosen = new ArrayList<>();
        for (List<ProxyModel> group : byUpstream(models).values()) {
            group.stream().filter(model -> !model.embeddings()).limit(perUpstream).forEach(chosen::add);
        }
        return chosen;
    }

    /**
     * The models named, in the order given: an id the proxy lists is taken with what it says about it; any other id
     * is taken as a chat model of an unknown upstream (the proxy may serve ids it does not list).
     */
    static List<ProxyModel> named(List<ProxyModel> listed, List<String> ids) {
        List<ProxyModel> chosen = new ArrayList<>();
        for (String id : ids) {
            chosen.add(listed.stream().filter(model -> model.id().equals(id)).findFirst()
                    .orElse(new ProxyModel(id, "?", "", 0, 0, false)));
        }
        return chosen;
    }

    private static long firstLong(JsonNode entry, String... pointers) {
        for (String pointer : pointers) {
            JsonNode value = entry.at(pointer);
            if (value.canConvertToLong() && value.asLong() > 0) {
                return value.asLong();
            }
        }
        return 0;
    }

    private static boolean isEmbeddings(JsonNode entry, String id) {
        JsonNode outputs = entry.path("supported_output_modalities");
        if (outputs.isArray() && !outputs.isEmpty()) {
            for (JsonNode output : outputs) {
                if ("embeddings".equalsIgnoreCase(output.asText())) {
                    return true;
                }
            }
            return false;
        }
        return id.toLowerCase(Locale.ROOT).contains("embed");
    }
}
