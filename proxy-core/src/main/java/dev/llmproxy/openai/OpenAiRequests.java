package dev.llmproxy.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reads and checks a client's OpenAI request body before any upstream work: the reference's validation rules and
 * messages (REFERENCE §2.2, §2.4, §2.5), plus type checks the reference lacked, then model-id resolution and usage
 * injection. A body that needs no change is forwarded as the exact bytes the client sent.
 *
 * <p>Usage injection: a streamed chat (or legacy completion, which goes upstream as chat) whose client did not ask
 * for usage gets {@code stream_options.include_usage: true}, so the upstream reports exact token counts at the end
 * of the stream; the exchange then removes that usage-only event from what the client receives
 * ({@code Prepared.usageInjected}). The upstream also adds {@code "usage": null} to its other chunks, as the API
 * defines; those events pass unchanged.
 */
public final class OpenAiRequests {
    /** Longest model id accepted: ids key limits and appear in logs, and no provider's is near this long. */
    public static final int MAX_MODEL_CHARS = 256;

    private OpenAiRequests() {
    }

    /**
     * The outcome for one body: either {@code error} is set, or the request may go upstream.
     *
     * @param error         the 400 to answer, or null
     * @param rewritten     the body to send instead of the client's bytes, or null to send them unchanged
     * @param clientModel   the {@code model} string as the client sent it
     * @param upstreamModel the model id sent upstream (catalog id after resolution)
     * @param stream        the client asked for a stream
     * @param usageInjected the proxy set {@code stream_options.include_usage} in {@code rewritten}: the usage-only
     *                      event the upstream sends for it must not reach the client
     * @param prompt        what the model reads — chat {@code messages} or embeddings {@code input} — for a token
     *                      estimate when the upstream reports no usage
     * @param upstreamBody  the body as it goes upstream ({@code rewritten}, or the client's body parsed), for the
     *                      context pre-check and for choosing alternative models
     */
    public record Prepared(ProxyError error, ObjectNode rewritten, String clientModel, String upstreamModel,
                           boolean stream, boolean usageInjected, JsonNode prompt, ObjectNode upstreamBody) {

        static Prepared failed(ProxyError error) {
            return new Prepared(error, null, null, null, false, false, null, null);
        }

        /**
         * The same request for another upstream model id (a route target, or the part after {@code <upstream>/}):
         * the body's {@code model} is set to it, so the body is sent rewritten. This one unchanged when the id is
         * the same.
         */
        public Prepared withUpstreamModel(String model) {
            if (error != null || model.equals(upstreamModel)) {
                return this;
            }
            upstreamBody.put("model", model);
            return new Prepared(null, upstreamBody, clientModel, model, stream, usageInjected, prompt, upstreamBody);
        }
    }

    /** {@link #prepare(Operation, InputStream, ModelCatalog, boolean)} with usage injection on. */
    public static Prepared prepare(Operation operation, InputStream body, ModelCatalog catalog) {
        return prepare(operation, body, catalog, true);
    }

    /**
     * @param injectStreamUsage ask the upstream for stream usage when the client did not; off for an upstream
     *                          that refuses {@code stream_options} (the count of such streams is then estimated)
     */
    public static Prepared prepare(Operation operation, InputStream body, ModelCatalog catalog,
                                   boolean injectStreamUsage) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            return Prepared.failed(ProxyError.of(ErrorKind.INVALID_JSON,
                    "request body is not valid JSON: " + e.getOriginalMessage()));
        } catch (IOException e) {
            return Prepared.failed(ProxyError.of(ErrorKind.INVALID_JSON, "request body could not be read"));
        }
        if (root == null || root.isMissingNode()) {
            return Prepared.failed(ProxyError.of(ErrorKind.INVALID_JSON, "request body is empty; send a JSON object"));
        }
        if (!root.isObject()) {
            return Prepared.failed(ProxyError.of(ErrorKind.INVALID_JSON, "request body must be a JSON object"));
        }
        return prepare(operation, (ObjectNode) root, catalog, injectStreamUsage);
    }

    /** The same checks for a body the proxy composed itself (the convenience endpoints build chat requests). */
    public static Prepared prepare(Operation operation, ObjectNode body, ModelCatalog catalog,
                                   boolean injectStreamUsage) {
        JsonNode model = body.get("model");
        ProxyError error = switch (operation) {
            case CHAT_COMPLETIONS -> checkChat(body, model);
            case EMBEDDINGS, AUDIO_SPEECH -> falsy(model) || !body.has("input")
                    ? ProxyError.of(ErrorKind.MISSING_EMBEDDING_INPUT) : checkModel(model);
            case LEGACY_COMPLETIONS -> checkCompletions(body, model);
            case RESPONSES -> falsy(model) ? ProxyError.of(ErrorKind.MISSING_MODEL) : checkModel(model);
        };
        if (error == null) {
            error = checkStream(body.get("stream"));
        }
        if (error != null) {
            return Prepared.failed(error);
        }
        String clientModel = model.textValue();
        String upstreamModel = catalog.resolve(clientModel);
        boolean stream = body.path("stream").asBoolean(false);
        ObjectNode rewritten = null;
        if (operation == Operation.LEGACY_COMPLETIONS) {
            rewritten = LegacyCompletions.toChatRequest(body);
            rewritten.put("model", upstreamModel);
        } else if (!upstreamModel.equals(clientModel)) {
            rewritten = body;
            rewritten.put("model", upstreamModel);
        }
        boolean usageInjected = false;
        if (injectStreamUsage && stream && (operation == Operation.CHAT_COMPLETIONS
                || operation == Operation.LEGACY_COMPLETIONS)) {
            ObjectNode target = rewritten != null ? rewritten : body;
            if (injectUsage(target)) {
                rewritten = target;
                usageInjected = true;
            }
        }
        ObjectNode upstreamBody = rewritten != null ? rewritten : body;
        JsonNode prompt = operation == Operation.EMBEDDINGS || operation == Operation.RESPONSES ? body.get("input")
                : upstreamBody.get("messages");
        return new Prepared(null, rewritten, clientModel, upstreamModel, stream, usageInjected, prompt,
                upstreamBody);
    }

    /**
     * Sets {@code stream_options.include_usage: true} unless the client asked for usage already, keeping every other
     * member of {@code stream_options} and its place. A {@code stream_options} or {@code include_usage} of a wrong
     * type is left for the upstream to refuse, as the client sent it. Returns whether the body changed.
     */
    private static boolean injectUsage(ObjectNode body) {
        JsonNode options = body.get("stream_options");
        if (options == null || options.isNull()) {
            body.putObject("stream_options").put("include_usage", true);
            return true;
        }
        if (!options.isObject()) {
            return false;
        }
        JsonNode includeUsage = options.get("include_usage");
        if (includeUsage == null || includeUsage.isNull()
                || includeUsage.isBoolean() && !includeUsage.booleanValue()) {
            ((ObjectNode) options).put("include_usage", true);
            return true;
        }
        return false;
    }

    private static ProxyError checkChat(ObjectNode body, JsonNode model) {
        if (falsy(model)) {
            return ProxyError.of(ErrorKind.MISSING_MODEL);
        }
        ProxyError modelError = checkModel(model);
        if (modelError != null) {
            return modelError;
        }
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray()) {
            return ProxyError.of(ErrorKind.MISSING_MESSAGES);
        }
        return null;
    }

    private static ProxyError checkCompletions(ObjectNode body, JsonNode model) {
        JsonNode prompt = body.get("prompt");
        if (falsy(model) || prompt == null) {
            return ProxyError.of(ErrorKind.MISSING_COMPLETION_PROMPT);
        }
        ProxyError modelError = checkModel(model);
        if (modelError != null) {
            return modelError;
        }
        if (!prompt.isTextual() && !prompt.isArray()) {
            return ProxyError.of(ErrorKind.INVALID_PARAMETER, "prompt must be a string or an array", "prompt");
        }
        return null;
    }

    /** A present model must be a real id: a string without the {@code <placeholder>} brackets of copied examples. */
    private static ProxyError checkModel(JsonNode model) {
        if (!model.isTextual()) {
            return ProxyError.of(ErrorKind.INVALID_PARAMETER, "model must be a string", "model");
        }
        String id = model.textValue();
        if (id.isBlank()) {
            return ProxyError.of(ErrorKind.MISSING_MODEL);
        }
        if (id.indexOf('<') >= 0 || id.indexOf('>') >= 0) {
            return ProxyError.of(ErrorKind.MODEL_PLACEHOLDER);
        }
        if (id.length() > MAX_MODEL_CHARS) {
            return ProxyError.of(ErrorKind.INVALID_VALUE, "model is " + id.length() + " characters long; a model id"
                    + " has at most " + MAX_MODEL_CHARS, "model");
        }
        return null;
    }

    private static ProxyError checkStream(JsonNode stream) {
        if (stream != null && !stream.isNull() && !stream.isBoolean()) {
            return ProxyError.of(ErrorKind.INVALID_PARAMETER, "stream must be a boolean", "stream");
        }
        return null;
    }

    /** JavaScript truthiness, as the reference tested {@code if (!model)}: absent, null, false, 0 and "" are missing. */
    private static boolean falsy(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return true;
        }
        if (v.isBoolean()) {
            return !v.booleanValue();
        }
        if (v.isNumber()) {
            return v.decimalValue().signum() == 0;
        }
        if (v.isTextual()) {
            return v.textValue().isEmpty();
        }
        return false;
    }
}
