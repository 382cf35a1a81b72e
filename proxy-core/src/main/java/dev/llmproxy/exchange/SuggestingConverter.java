package dev.llmproxy.exchange;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.Json;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Adds {@code suggestions} (catalog ids that can serve the same request) to the upstream's "unknown model" answer: a
 * 400 or 404 whose {@code error.code} names an unknown model ({@code unknown_model}, {@code model_not_found},
 * Azure's {@code DeploymentNotFound}), or a 404 whose message says so. Only a JSON error body whose
 * {@code Content-Length} is at most {@link #MAX_BYTES} is held (an error envelope; a chunked or larger body is never
 * buffered, it passes as it comes), parsed, and sent with a top-level {@code suggestions} array; any other response,
 * and a held body that is not a JSON object naming an unknown model, passes unchanged. Another converter that wants the response
 * (the test-model probe reports errors as data) goes first.
 *
 * <p>Event-loop confined, like every converter; the suggestions are computed once, when the body is complete.
 */
public final class SuggestingConverter implements ResponseConverter {
    static final int MAX_BYTES = 64 * 1024;
    private static final Set<String> UNKNOWN_MODEL_CODES =
            Set.of("unknown_model", "model_not_found", "modelnotfound", "deploymentnotfound");

    private final ResponseConverter inner;
    private final Supplier<List<String>> suggestions;

    /**
     * @param inner       the converter the call already has ({@link ResponseConverter#NONE} for none)
     * @param suggestions computes the ids to suggest, best first
     */
    public SuggestingConverter(ResponseConverter inner, Supplier<List<String>> suggestions) {
        this.inner = Objects.requireNonNull(inner, "inner");
        this.suggestions = Objects.requireNonNull(suggestions, "suggestions");
    }

    @Override
    public BodyConverter forResponse(HttpResponse head) {
        BodyConverter first = inner.forResponse(head);
        if (first != null) {
            return first;
        }
        int status = head.status().code();
        String type = head.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
        long length = HttpUtil.getContentLength(head, -1L);
        if ((status == 404 || status == 400) && type.regionMatches(true, 0, "application/json", 0, 16)
                && length >= 0 && length <= MAX_BYTES) {
            return new Held(status);
        }
        return null;
    }

    private final class Held implements BodyConverter {
        private final int status;
        private final HeldBody body = new HeldBody();

        Held(int status) {
            this.status = status;
        }

        @Override
        public boolean aggregates() {
            return true;
        }

        @Override
        public HttpResponseStatus status(HttpResponseStatus upstream) {
            return upstream;
        }

        @Override
        public void onContent(ByteBuf chunk, ByteBufAllocator alloc, Consumer<ByteBuf> out) {
            body.add(chunk, alloc); // at most Content-Length ≤ MAX_BYTES: the codec frames the body by it
        }

        @Override
        public void finish(ByteBufAllocator alloc, Consumer<ByteBuf> out) {
            if (body.size() == 0) {
                return;
            }
            ObjectNode parsed = body.parseObject();
            if (parsed == null || !unknownModel(parsed)) {
                out.accept(body.take());
                return;
            }
            ArrayNode ids = parsed.putArray("suggestions");
            suggestions.get().forEach(ids::add);
            out.accept(alloc.buffer().writeBytes(Json.bytes(parsed)));
        }

        private boolean unknownModel(ObjectNode parsed) {
            JsonNode error = parsed.path("error");
            JsonNode code = error.path("code");
            if (code.isTextual() && UNKNOWN_MODEL_CODES.contains(code.textValue().toLowerCase(Locale.ROOT))) {
                return true;
            }
            // GitHub's "Unknown model: x"; OpenAI's "The model `x` does not exist"
            String message = error.path("message").asText("").toLowerCase(Locale.ROOT);
            return status == 404 && (message.startsWith("unknown model")
                    || message.contains("model") && message.contains("does not exist"));
        }

        @Override
        public void close() {
            body.release();
        }
    }
}
