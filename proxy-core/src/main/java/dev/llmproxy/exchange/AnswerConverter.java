package dev.llmproxy.exchange;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.Json;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;

import java.util.function.Consumer;

/**
 * Shrinks a chat completion to what a convenience endpoint answers: {@code /v1/simple-chat} gets
 * {@code {"message": …}} (errors pass through with their status), {@code /v1/test-model} gets
 * {@code {"working", "model", "response" | "status", "error"}} with status 200 whatever happened upstream — a probe
 * reports failure as data (the reference said {@code working:true} for 403, 429 and 500).
 */
public final class AnswerConverter implements ResponseConverter {
    static final int MAX_BYTES = 8 * 1024 * 1024;

    private enum Shape { SIMPLE_CHAT, TEST_MODEL }

    private final Shape shape;
    private final String model;

    private AnswerConverter(Shape shape, String model) {
        this.shape = shape;
        this.model = model;
    }

    public static AnswerConverter simpleChat() {
        return new AnswerConverter(Shape.SIMPLE_CHAT, null);
    }

    /** @param model the model as the client named it, echoed in the answer */
    public static AnswerConverter testModel(String model) {
        return new AnswerConverter(Shape.TEST_MODEL, model);
    }

    @Override
    public BodyConverter forResponse(HttpResponse head) {
        boolean success = head.status().codeClass() == HttpStatusClass.SUCCESS;
        if (shape == Shape.SIMPLE_CHAT && !success) {
            return null;
        }
        String type = head.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
        if (success && !type.regionMatches(true, 0, "application/json", 0, 16)) {
            return null;
        }
        return new Whole(head.status().code());
    }

    /** The text of the first choice, or "No response" like the reference. */
    static String firstContent(JsonNode chat) {
        JsonNode content = chat.at("/choices/0/message/content");
        return content.isTextual() && !content.textValue().isEmpty() ? content.textValue() : "No response";
    }

    /** The upstream's error message in either shape ({@code {"error":{"message"}}} or {@code {"error":"…"}}). */
    static String errorMessage(JsonNode body, int status) {
        JsonNode error = body == null ? null : body.get("error");
        if (error != null && error.isTextual()) {
            return error.textValue();
        }
        if (error != null && error.path("message").isTextual()) {
            return error.path("message").textValue();
        }
        return "upstream answered " + status;
    }

    private final class Whole implements BodyConverter {
        private final int upstreamStatus;
        private final HeldBody body = new HeldBody();

        Whole(int upstreamStatus) {
            this.upstreamStatus = upstreamStatus;
        }

        @Override
        public boolean aggregates() {
            return true;
        }

        @Override
        public HttpResponseStatus status(HttpResponseStatus upstream) {
            return shape == Shape.TEST_MODEL ? HttpResponseStatus.OK : upstream;
        }

        @Override
        public void onContent(ByteBuf chunk, ByteBufAllocator alloc, Consumer<ByteBuf> out) {
            if (body.size() + chunk.readableBytes() > MAX_BYTES) {
                throw new IllegalStateException("upstream response larger than " + MAX_BYTES + " bytes");
            }
            body.add(chunk, alloc);
        }

        @Override
        public void finish(ByteBufAllocator alloc, Consumer<ByteBuf> out) {
            JsonNode parsed = body.parseObject();
            boolean success = upstreamStatus >= 200 && upstreamStatus < 300;
            ObjectNode answer = Json.object();
            if (shape == Shape.SIMPLE_CHAT) {
                if (parsed == null) {
                    throw new IllegalStateException("upstream response is not valid JSON");
                }
                answer.put("message", firstContent(parsed));
            } else {
                answer.put("working", success && parsed != null);
                answer.put("model", model);
                if (success && parsed != null) {
                    answer.put("response", firstContent(parsed));
                } else {
                    answer.put("status", upstreamStatus);
                    answer.put("error", success ? "upstream response is not valid JSON"
                            : errorMessage(parsed, upstreamStatus));
                }
            }
            out.accept(Unpooled.wrappedBuffer(Json.bytes(answer)));
        }

        @Override
        public void close() {
            body.release();
        }
    }
}
