package dev.llmproxy.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Reads and checks a client's OpenAI request body before any upstream work: the reference's validation rules and
 * messages (REFERENCE §2.2, §2.4, §2.5), plus type checks the reference lacked, then model-id resolution and usage
 * injection. A body that needs no change is forwarded as the exact bytes the client sent; one whose model id or
 * usage option changes is spliced ({@link BodySplice}): only those bytes change. A client's body is read by a
 * streaming peek ({@link RequestPeek}) and parsed into a tree only where a tree is needed; a body the peek does not
 * accept goes the tree path, which words every error, so both paths answer alike.
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
     * The outcome for one body: either {@code error} is set, or the request may go upstream. A body read from the
     * client's bytes is <em>peeked</em> ({@code peek} set, no tree: the bytes go upstream as they came, or spliced,
     * see {@link #upstreamBytes}); a body the proxy composed, or one the peek left to the tree path (legacy
     * completions, UTF-16), is a tree ({@code upstreamBody} set).
     *
     * @param error         the 400 to answer, or null
     * @param rewritten     a tree's body to send instead of the client's bytes, or null to send them unchanged (always
     *                      null when peeked)
     * @param clientModel   the {@code model} string as the client sent it
     * @param upstreamModel the model id sent upstream (catalog id after resolution)
     * @param stream        the client asked for a stream
     * @param usageInjected the proxy sets {@code stream_options.include_usage} in the body sent upstream: the usage-only
     *                      event the upstream sends for it must not reach the client
     * @param prompt        a tree's prompt — chat {@code messages} or embeddings {@code input} — for a token
     *                      estimate when the upstream reports no usage; null when peeked (see {@link #promptField})
     * @param upstreamBody  a tree's body as it goes upstream ({@code rewritten}, or the client's body parsed), for the
     *                      context pre-check and for choosing alternative models; null when peeked (see
     *                      {@link #upstreamTree})
     * @param peek          what the peek read from the client's bytes, or null for a tree
     */
    public record Prepared(ProxyError error, ObjectNode rewritten, String clientModel, String upstreamModel,
                           boolean stream, boolean usageInjected, JsonNode prompt, ObjectNode upstreamBody,
                           RequestPeek peek, String promptField) {

        static Prepared failed(ProxyError error) {
            return new Prepared(error, null, null, null, false, false, null, null, null, null);
        }

        /**
         * The same request for another upstream model id (a route target, or the part after {@code <upstream>/}):
         * the body's {@code model} is set to it, so the body is sent rewritten (a peeked body is spliced). This one
         * unchanged when the id is the same.
         */
        public Prepared withUpstreamModel(String model) {
            if (error != null || model.equals(upstreamModel)) {
                return this;
            }
            if (peek != null) {
                return new Prepared(null, null, clientModel, model, stream, usageInjected, null, null, peek,
                        promptField);
            }
            upstreamBody.put("model", model);
            return new Prepared(null, upstreamBody, clientModel, model, stream, usageInjected, prompt, upstreamBody,
                    null, null);
        }

        /** Whether the body sent upstream differs from the client's bytes. */
        public boolean changesBody() {
            return peek != null ? usageInjected || !upstreamModel.equals(clientModel) : rewritten != null;
        }

        /**
         * The body to send upstream, a buffer the caller owns: {@code clientBody} itself (a retained duplicate) when
         * nothing changes, a splice of it when the model or the usage option changes, or a tree's rewrite serialized.
         *
         * @param clientBody the bytes this request was prepared from (for a tree, the bytes that carry it); not
         *                   released
         */
        public ByteBuf upstreamBytes(ByteBuf clientBody) {
            if (peek != null) {
                return BodySplice.splice(clientBody, peek, upstreamModel.equals(clientModel) ? null : upstreamModel,
                        usageInjected);
            }
            return rewritten != null ? Unpooled.wrappedBuffer(Json.bytes(rewritten)) : clientBody.retainedDuplicate();
        }

        /**
         * The body as it goes upstream, as a tree: a tree's own, or {@code upstreamBytes} parsed now. Parsing costs
         * CPU in proportion to the body: only for what needs a tree (a prompt to count, alternative models to
         * choose), never for every request, and for large bodies off the event loop.
         *
         * @param upstreamBytes the bytes sent upstream ({@link #upstreamBytes}); for model-independent questions the
         *                      client's bytes do as well
         */
        public ObjectNode upstreamTree(ByteBuf upstreamBytes) {
            if (peek == null) {
                return upstreamBody;
            }
            JsonNode tree = parse(upstreamBytes);
            return tree instanceof ObjectNode object ? object : Json.object();
        }

        /**
         * The output cap the request asks for ({@code max_completion_tokens}, {@code max_tokens} or
         * {@code max_output_tokens}), counted against a TPM limit; 0 when none.
         */
        public long outputCap() {
            if (peek != null) {
                return peek.outputCap();
            }
            for (String field : CAP_FIELDS) {
                JsonNode n = upstreamBody.get(field);
                if (n != null && n.canConvertToLong()) {
                    return Math.max(0, n.longValue());
                }
            }
            return 0;
        }
    }

    private static final String[] CAP_FIELDS = {"max_completion_tokens", "max_tokens", "max_output_tokens"};

    /** {@link #prepare(Operation, InputStream, ModelCatalog, boolean)} with usage injection on. */
    public static Prepared prepare(Operation operation, InputStream body, ModelCatalog catalog) {
        return prepare(operation, body, catalog, true);
    }

    /**
     * Checks a client's body from its bytes: peeked ({@link RequestPeek}, no tree) when the peek accepts it; else
     * judged by the tree path ({@link #prepare(Operation, InputStream, ModelCatalog, boolean)}), which words every
     * error. The peek accepts only what the tree path accepts, with the same outcome; legacy completions, which
     * become a chat request, always take the tree path.
     *
     * @param body the client's body from its reader index; not released, and its indexes are not moved
     */
    public static Prepared prepare(Operation operation, ByteBuf body, ModelCatalog catalog,
                                   boolean injectStreamUsage) {
        if (operation != Operation.LEGACY_COMPLETIONS) {
            RequestPeek peek = RequestPeek.read(new ByteBufInputStream(body.duplicate()));
            if (peek != null) {
                Prepared peeked = peeked(operation, peek, catalog, injectStreamUsage);
                if (peeked != null) {
                    return peeked;
                }
            }
        }
        try (InputStream in = new ByteBufInputStream(body.duplicate())) {
            return prepare(operation, in, catalog, injectStreamUsage);
        } catch (IOException e) {
            return Prepared.failed(ProxyError.of(ErrorKind.INVALID_JSON, "request body could not be read"));
        }
    }

    /** The accepted request the peek describes, or null when the tree path must judge (and word the error). */
    private static Prepared peeked(Operation operation, RequestPeek peek, ModelCatalog catalog,
                                   boolean injectStreamUsage) {
        String model = peek.model();
        if (model == null || model.isBlank() || model.indexOf('<') >= 0 || model.indexOf('>') >= 0
                || model.length() > MAX_MODEL_CHARS || !peek.streamValid()) {
            return null;
        }
        boolean complete = switch (operation) {
            case CHAT_COMPLETIONS -> peek.messagesArray();
            case EMBEDDINGS, AUDIO_SPEECH -> peek.hasInput();
            case RESPONSES -> true;
            case LEGACY_COMPLETIONS -> false;
        };
        if (!complete) {
            return null;
        }
        boolean usage = injectStreamUsage && peek.stream() && operation == Operation.CHAT_COMPLETIONS
                && peek.usageEdit() != RequestPeek.UsageEdit.NONE;
        String promptField = operation == Operation.EMBEDDINGS || operation == Operation.RESPONSES ? "input"
                : "messages";
        return new Prepared(null, null, model, catalog.resolve(model), peek.stream(), usage, null, null, peek,
                promptField);
    }

    /** The tree of a body the proxy already accepted once (it is one JSON object then). */
    static JsonNode parse(ByteBuf bytes) {
        try (InputStream in = new ByteBufInputStream(bytes.duplicate())) {
            return Json.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The tree path: parses the whole body, then checks it. The reference for {@link RequestPeek}, and the path of
     * every body the peek does not accept.
     *
     * @param injectStreamUsage ask the upstream for stream usage when the client did not; off for an upstream
     *                          that refuses {@code stream_options} (the count of such streams is then estimated)
     */
    public static Prepared prepare(Operation operation, InputStream body, ModelCatalog catalog,
                                   boolean injectStreamUsage) {
        JsonNode root;
        try {
            root = Json.readTree(body);
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
                upstreamBody, null, null);
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
