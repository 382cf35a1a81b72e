package dev.llmproxy.bridge.responses;

import dev.llmproxy.bridge.ChatChunkReader;
import dev.llmproxy.bridge.Ids;
import dev.llmproxy.bridge.WholeChatConverter;
import dev.llmproxy.exchange.BodyConverter;
import dev.llmproxy.exchange.ResponseConverter;
import dev.llmproxy.openai.Json;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;

import java.time.Instant;

/**
 * Answers a bridged {@code POST /v1/responses} from the upstream's chat answer: an event stream becomes the Responses
 * event stream as each chunk arrives ({@link ResponsesStreamConverter}); a JSON completion becomes the
 * {@code response} object ({@link WholeChatConverter}). Upstream errors pass through unchanged: they already carry
 * the OpenAI envelope this API uses.
 *
 * <p>Use: the route builds one per request from the {@link ResponsesCall} that {@link ResponsesRequestBridge} made
 * and gives it to the exchange as the call's {@link ResponseConverter}. Mid-stream failures reach the stream
 * converter's {@link BodyConverter#onStreamError}, which answers {@code response.failed}. Thread-safe; each
 * response head gets its own converter.
 */
public final class ResponsesConverter implements ResponseConverter {
    private final ResponsesCall call;
    private final Ids ids;
    private final long createdAt;

    public ResponsesConverter(ResponsesCall call, Ids ids) {
        this(call, ids, Instant.now().getEpochSecond());
    }

    /** @param createdAt the response's {@code created_at}, epoch seconds */
    public ResponsesConverter(ResponsesCall call, Ids ids, long createdAt) {
        this.call = call;
        this.ids = ids;
        this.createdAt = createdAt;
    }

    @Override
    public BodyConverter forResponse(HttpResponse head) {
        if (head.status().codeClass() != HttpStatusClass.SUCCESS) {
            return null;
        }
        String type = head.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
        if (type.regionMatches(true, 0, "text/event-stream", 0, 17)) {
            return new ResponsesStreamConverter(call.responseTemplate(), ids, createdAt);
        }
        return new WholeChatConverter(completion -> {
            ResponsesTranslator translator = new ResponsesTranslator(call.responseTemplate(), ids, createdAt, null);
            new ChatChunkReader(translator).readCompletion(completion);
            translator.end(true);
            return Json.bytes(translator.response());
        });
    }
}
