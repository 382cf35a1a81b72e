package dev.llmproxy.demo;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.Json;

import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The model ids the simulator knows: case-insensitive membership for chat and embeddings, and the
 * {@code GET /models} body, rendered once at start-up.
 *
 * <p>Threading: immutable; shared by every connection.
 */
final class DemoModels {
    /** What OpenAI reports for models that predate the field; any fixed value will do for a simulator. */
    static final long CREATED = 1677610602L;

    private final Set<String> lowerCaseIds;
    private final byte[] listBody;

    private DemoModels(Set<String> lowerCaseIds, byte[] listBody) {
        this.lowerCaseIds = lowerCaseIds;
        this.listBody = listBody;
    }

    static DemoModels of(Set<String> knownModelIds) {
        TreeSet<String> sorted = new TreeSet<>();
        for (String id : knownModelIds) {
            Objects.requireNonNull(id, "knownModelIds: contains null (expected: model ids)");
            sorted.add(id);
        }
        ObjectNode list = Json.object();
        list.put("object", "list");
        ArrayNode data = list.putArray("data");
        for (String id : sorted) {
            ObjectNode model = data.addObject();
            model.put("id", id);
            model.put("object", "model");
            model.put("created", CREATED);
            model.put("owned_by", ownedBy(id));
        }
        Set<String> lowerCase = sorted.stream()
                .map(id -> id.toLowerCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
        return new DemoModels(lowerCase, Json.bytes(list));
    }

    boolean isKnown(String modelId) {
        return lowerCaseIds.contains(modelId.toLowerCase(Locale.ROOT));
    }

    /** The {@code GET /models} body; never modified, so callers copy it into their own buffer. */
    byte[] listBody() {
        return listBody;
    }

    /** The publisher part of {@code publisher/name}. */
    static String ownedBy(String id) {
        int slash = id.indexOf('/');
        return slash > 0 ? id.substring(0, slash) : "demo";
    }
}
