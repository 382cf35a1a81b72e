package dev.llmproxy.bridge.messages;

import dev.llmproxy.bridge.ChatChunkReader;
import dev.llmproxy.bridge.Ids;
import dev.llmproxy.bridge.WholeChatConverter;
import dev.llmproxy.exchange.BodyConverter;
import dev.llmproxy.exchange.ResponseConverter;
import dev.llmproxy.openai.Json;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;

/**
 * Answers a bridged {@code POST /v1/messages} from the upstream's chat answer: an event stream becomes Anthropic's
 * event stream as each chunk arrives ({@link MessagesStreamConverter}); a JSON completion becomes the
 * {@code message} object ({@link WholeChatConverter}); an upstream error becomes Anthropic's error envelope under the
 * same status ({@link AnthropicErrorConverter}).
 *
 * <p>Use: the route builds one per request from the {@link MessagesCall} that {@link MessagesRequestBridge} made,
 * with the prompt's token count from {@link MessagesTokenCounter} (or 0 when it does not count) for
 * {@code message_start}, and gives it to the exchange as the call's {@link ResponseConverter}. Mid-stream failures
 * reach the stream converter's {@link BodyConverter#onStreamError}, which answers an {@code error} event. Errors the
 * proxy answers itself go out through {@link AnthropicError#of}. Thread-safe; each response head gets its own
 * converter.
 */
public final class MessagesConverter implements ResponseConverter {
    private final MessagesCall call;
    private final long inputTokens;
    private final Ids ids;

    public MessagesConverter(MessagesCall call, long inputTokens, Ids ids) {
        this.call = call;
        this.inputTokens = inputTokens;
        this.ids = ids;
    }

    @Override
    public BodyConverter forResponse(HttpResponse head) {
        if (head.status().codeClass() != HttpStatusClass.SUCCESS) {
            return new AnthropicErrorConverter(head.status().code());
        }
        String type = head.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
        if (type.regionMatches(true, 0, "text/event-stream", 0, 17)) {
            return new MessagesStreamConverter(call, inputTokens, ids);
        }
        return new WholeChatConverter(completion -> {
            MessagesTranslator translator = new MessagesTranslator(call, inputTokens, ids, null);
            new ChatChunkReader(translator).readCompletion(completion);
            translator.end(true);
            if (translator.message() == null) {
                throw new IllegalStateException("the upstream reported an error in a successful response");
            }
            return Json.bytes(translator.message());
        });
    }
}
