package dev.llmproxy.demo;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.CatalogModel;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.ModelCatalog;
import dev.llmproxy.openai.ProxyError;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo upstream's {@code GET /catalog/models}: the bundled catalog in the shape GitHub's
 * {@code https://models.github.ai/catalog/models} answers (CATALOG-FORMAT.md) — a bare array of objects with the 13
 * keys in the real order ({@code id, name, publisher, summary, rate_limit_tier, supported_input_modalities,
 * supported_output_modalities, tags, registry, version, capabilities, limits, html_url}), token limits inside
 * {@code limits} (nulls kept). The four keys the bundled file omits are filled in plausibly: {@code registry} by
 * publisher as GitHub names them, {@code version} from the versions CATALOG-FORMAT.md lists ({@code "1"} for the
 * rest), {@code html_url} as {@code https://github.com/marketplace/models/<registry>/<name with dots as dashes>},
 * and a one-line {@code summary} made from the model's data. So the proxy's catalog refresh runs end to end against
 * the demo.
 *
 * <p>Test hook (the demo upstream only): {@code ?fail=500} answers 500 with an error envelope,
 * {@code ?fail=malformed} a 200 whose JSON is cut off, {@code ?fail=empty} a 200 {@code []}, and
 * {@code ?fail=wrapped} a 200 {@code {"data":[…]}} (a shape some fixtures use, not GitHub's). Any other value of
 * {@code fail} is a 400.
 *
 * <p>Threading: immutable; the body is rendered once, on first use, from the catalog bundled in the jar (a
 * constant, like the jar's resources), and shared by every connection.
 */
final class DemoCatalog {
    static final String PATH = "/catalog/models";

    private static final Map<String, String> REGISTRY_BY_OWNER = Map.of(
            "openai", "azure-openai",
            "microsoft", "azureml",
            "ai21-labs", "azureml-ai21",
            "cohere", "azureml-cohere",
            "core42", "azureml-core42",
            "deepseek", "azureml-deepseek",
            "meta", "azureml-meta",
            "mistral-ai", "azureml-mistral",
            "xai", "azureml-xai");

    /** CATALOG-FORMAT.md's versions (copy A); every other id has {@code "1"}. */
    private static final Map<String, String> VERSIONS = Map.ofEntries(
            Map.entry("openai/gpt-4.1", "2025-04-14"),
            Map.entry("openai/gpt-4.1-mini", "2025-04-14"),
            Map.entry("openai/gpt-4.1-nano", "2025-04-14"),
            Map.entry("openai/gpt-4o", "2024-11-20"),
            Map.entry("openai/gpt-4o-mini", "2024-07-18"),
            Map.entry("openai/gpt-5", "2025-08-07"),
            Map.entry("openai/gpt-5-chat", "2025-08-07"),
            Map.entry("openai/gpt-5-mini", "2025-08-07"),
            Map.entry("openai/gpt-5-nano", "2025-08-07"),
            Map.entry("openai/o1", "2024-12-17"),
            Map.entry("openai/o1-mini", "2024-09-12"),
            Map.entry("openai/o3", "2025-04-16"),
            Map.entry("openai/o3-mini", "2025-01-31"),
            Map.entry("openai/o4-mini", "2025-04-16"),
            Map.entry("cohere/cohere-command-a", "3"),
            Map.entry("core42/jais-30b-chat", "3"),
            Map.entry("meta/llama-3.2-11b-vision-instruct", "6"),
            Map.entry("meta/llama-3.2-90b-vision-instruct", "5"),
            Map.entry("meta/llama-3.3-70b-instruct", "7"),
            Map.entry("meta/llama-4-scout-17b-16e-instruct", "2"),
            Map.entry("meta/meta-llama-3.1-8b-instruct", "5"),
            Map.entry("mistral-ai/codestral-2501", "2"),
            Map.entry("mistral-ai/mistral-large-2411", "2"),
            Map.entry("microsoft/phi-3.5-mini-instruct", "6"),
            Map.entry("microsoft/phi-3.5-moe-instruct", "5"),
            Map.entry("microsoft/phi-3.5-vision-instruct", "2"),
            Map.entry("microsoft/phi-3-medium-128k-instruct", "7"),
            Map.entry("microsoft/phi-3-medium-4k-instruct", "6"),
            Map.entry("microsoft/phi-3-mini-128k-instruct", "13"),
            Map.entry("microsoft/phi-3-mini-4k-instruct", "15"),
            Map.entry("microsoft/phi-3-small-128k-instruct", "5"),
            Map.entry("microsoft/phi-3-small-8k-instruct", "6"),
            Map.entry("microsoft/phi-4", "8"),
            Map.entry("microsoft/phi-4-multimodal-instruct", "2"));

    private final byte[] body;
    private final byte[] wrapped;

    private DemoCatalog(byte[] body, byte[] wrapped) {
        this.body = body;
        this.wrapped = wrapped;
    }

    /** The bundled catalog's answer, rendered once per class loader (initialization-on-demand holder). */
    static DemoCatalog bundled() {
        return Bundled.INSTANCE;
    }

    private static final class Bundled {
        static final DemoCatalog INSTANCE = of(ModelCatalog.bundled().models());
    }

    static DemoCatalog of(List<CatalogModel> models) {
        ArrayNode array = Json.MAPPER.createArrayNode();
        for (CatalogModel model : models) {
            array.add(entry(model));
        }
        ObjectNode wrapper = Json.object();
        wrapper.set("data", array);
        return new DemoCatalog(Json.bytes(array), Json.bytes(wrapper));
    }

    /** The 200 body: the bare array. A copy, so callers cannot change the shared one. */
    byte[] body() {
        return body.clone();
    }

    /** The answer to {@code GET <uri>}, the test hook included. */
    FullHttpResponse answer(ByteBufAllocator alloc, String uri) {
        List<String> fail = new QueryStringDecoder(uri).parameters().get("fail");
        if (fail == null || fail.isEmpty()) {
            return DemoResponses.ok(alloc.buffer(body.length).writeBytes(body));
        }
        return switch (fail.get(0)) {
            case "500" -> DemoResponses.error(alloc, ProxyError.of(ErrorKind.INTERNAL,
                    "demo catalog: failing on request (?fail=500)"));
            case "malformed" -> DemoResponses.json(alloc, HttpResponseStatus.OK,
                    Arrays.copyOf(body, body.length / 2));
            case "empty" -> DemoResponses.json(alloc, HttpResponseStatus.OK, "[]".getBytes(StandardCharsets.UTF_8));
            case "wrapped" -> DemoResponses.json(alloc, HttpResponseStatus.OK, wrapped);
            default -> DemoResponses.error(alloc, ProxyError.of(ErrorKind.INVALID_VALUE,
                    "fail: unknown value (expected: 500, malformed, empty or wrapped)", "fail"));
        };
    }

    private static ObjectNode entry(CatalogModel model) {
        String owner = model.ownedBy().toLowerCase(Locale.ROOT);
        String registry = REGISTRY_BY_OWNER.getOrDefault(owner, "azureml");
        String shortName = model.id().substring(model.id().indexOf('/') + 1);
        ObjectNode entry = Json.object();
        entry.put("id", model.id());
        entry.put("name", model.name());
        entry.put("publisher", model.publisher());
        entry.put("summary", summary(model));
        entry.put("rate_limit_tier", model.rateLimitTier());
        strings(entry.putArray("supported_input_modalities"), model.inputModalities());
        strings(entry.putArray("supported_output_modalities"), model.outputModalities());
        strings(entry.putArray("tags"), model.tags());
        entry.put("registry", registry);
        entry.put("version", VERSIONS.getOrDefault(model.id().toLowerCase(Locale.ROOT), "1"));
        strings(entry.putArray("capabilities"), model.capabilities());
        ObjectNode limits = entry.putObject("limits");
        limits.put("max_input_tokens", model.maxInputTokens());
        limits.put("max_output_tokens", model.maxOutputTokens());
        entry.put("html_url", "https://github.com/marketplace/models/" + registry + "/" + shortName.replace('.', '-'));
        return entry;
    }

    /** "OpenAI GPT-4o mini from OpenAI for multipurpose, multilingual, multimodal use; reads text, image, audio." */
    private static String summary(CatalogModel model) {
        StringBuilder summary = new StringBuilder(model.name()).append(" from ").append(model.publisher());
        if (!model.tags().isEmpty()) {
            summary.append(" for ").append(String.join(", ", model.tags())).append(" use");
        }
        if (!model.inputModalities().isEmpty()) {
            summary.append("; reads ").append(String.join(", ", model.inputModalities()));
        }
        return summary.append('.').toString();
    }

    private static void strings(ArrayNode array, List<String> values) {
        values.forEach(array::add);
    }
}
