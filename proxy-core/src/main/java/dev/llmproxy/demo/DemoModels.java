package dev.llmproxy.demo;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.ProxyError;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The model ids the simulator serves: case-insensitive membership for chat and embeddings, and the
 * {@code GET /models} (or {@code /v1/models}) body in OpenAI's shape — {@code {"object":"list","data":[{id, object,
 * created, owned_by}]}} — rendered once at start-up.
 *
 * <p>By default the demo lists {@link #DEFAULT}: a few ids of the kinds an operator meets (OpenAI chat, reasoning and
 * embeddings models, an Ollama tag, a Mistral alias), so the proxy's model list, its table of known token limits and
 * its routing have something realistic to show. Tests and the bench may give their own ids instead.
 *
 * <p>Test hook (the demo upstream only): {@code ?fail=500} answers 500 with an error envelope, {@code ?fail=malformed}
 * a 200 whose JSON is cut off, {@code ?fail=empty} a 200 list with no model, and {@code ?fail=bare} a 200 bare array
 * (GitHub's catalog shape, not a listing). Any other value of {@code fail} is a 400.
 *
 * <p>Threading: immutable; shared by every connection.
 */
final class DemoModels {
    /** What OpenAI reports for models that predate the field; any fixed value will do for a simulator. */
    static final long CREATED = 1677610602L;

    /** The demo's own list: id → {@code owned_by}, in listing order. */
    static final Map<String, String> DEFAULT = defaults();

    private final Set<String> lowerCaseIds;
    private final byte[] listBody;
    private final byte[] bareBody;

    private DemoModels(Set<String> lowerCaseIds, byte[] listBody, byte[] bareBody) {
        this.lowerCaseIds = lowerCaseIds;
        this.listBody = listBody;
        this.bareBody = bareBody;
    }

    private static Map<String, String> defaults() {
        Map<String, String> models = new LinkedHashMap<>();
        models.put("gpt-4o-mini", "openai");
        models.put("gpt-4.1", "openai");
        models.put("gpt-4.1-mini", "openai");
        models.put("o4-mini", "openai");
        models.put("text-embedding-3-small", "openai");
        models.put("llama3.2:3b", "meta");
        models.put("mistral-small", "mistralai");
        return Collections.unmodifiableMap(models);
    }

    /** Exactly {@code knownModelIds}, sorted, each owned by its {@code publisher/} prefix or {@code demo}. */
    static DemoModels of(Set<String> knownModelIds) {
        Map<String, String> owned = new LinkedHashMap<>();
        for (String id : new TreeSet<>(knownModelIds)) {
            owned.put(Objects.requireNonNull(id, "knownModelIds: contains null (expected: model ids)"), ownedBy(id));
        }
        return of(owned);
    }

    /** {@code ownersById}'s ids with their {@code owned_by}, in its order. */
    static DemoModels of(Map<String, String> ownersById) {
        ObjectNode list = Json.object();
        list.put("object", "list");
        ArrayNode data = list.putArray("data");
        for (Map.Entry<String, String> model : ownersById.entrySet()) {
            ObjectNode entry = data.addObject();
            entry.put("id", model.getKey());
            entry.put("object", "model");
            entry.put("created", CREATED);
            entry.put("owned_by", model.getValue());
        }
        Set<String> lowerCase = ownersById.keySet().stream()
                .map(id -> id.toLowerCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
        return new DemoModels(lowerCase, Json.bytes(list), Json.bytes(data));
    }

    boolean isKnown(String modelId) {
        return lowerCaseIds.contains(modelId.toLowerCase(Locale.ROOT));
    }

    int size() {
        return lowerCaseIds.size();
    }

    /** The {@code GET /models} body; never modified, so callers copy it into their own buffer. */
    byte[] listBody() {
        return listBody;
    }

    /** The answer to {@code GET <uri>} of the model list, the test hook included. */
    FullHttpResponse answer(ByteBufAllocator alloc, String uri) {
        List<String> fail = new QueryStringDecoder(uri).parameters().get("fail");
        if (fail == null || fail.isEmpty()) {
            return DemoResponses.json(alloc, HttpResponseStatus.OK, listBody);
        }
        return switch (fail.get(0)) {
            case "500" -> DemoResponses.error(alloc, ProxyError.of(ErrorKind.INTERNAL,
                    "demo model list: failing on request (?fail=500)"));
            case "malformed" -> DemoResponses.json(alloc, HttpResponseStatus.OK,
                    Arrays.copyOf(listBody, listBody.length / 2));
            case "empty" -> DemoResponses.json(alloc, HttpResponseStatus.OK,
                    "{\"object\":\"list\",\"data\":[]}".getBytes(StandardCharsets.UTF_8));
            case "bare" -> DemoResponses.json(alloc, HttpResponseStatus.OK, bareBody);
            default -> DemoResponses.error(alloc, ProxyError.of(ErrorKind.INVALID_VALUE,
                    "fail: unknown value (expected: 500, malformed, empty or bare)", "fail"));
        };
    }

    /** The publisher part of {@code publisher/name}, or {@code demo}. */
    static String ownedBy(String id) {
        int slash = id.indexOf('/');
        return slash > 0 ? id.substring(0, slash) : "demo";
    }
}
