package dev.llmproxy.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.routes.OffLoop;
import dev.llmproxy.bridge.ChatDialect;
import dev.llmproxy.bridge.RandomIds;
import dev.llmproxy.bridge.messages.AnthropicError;
import dev.llmproxy.bridge.messages.MessagesCall;
import dev.llmproxy.bridge.messages.MessagesConverter;
import dev.llmproxy.bridge.messages.MessagesRequestBridge;
import dev.llmproxy.bridge.messages.MessagesTokenCounter;
import dev.llmproxy.bridge.responses.ResponsesCall;
import dev.llmproxy.bridge.responses.ResponsesConverter;
import dev.llmproxy.bridge.responses.ResponsesRequestBridge;
import dev.llmproxy.config.ResponsesMode;
import dev.llmproxy.config.UpstreamKind;
import dev.llmproxy.exchange.ResponseConverter;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.OpenAiRequests;
import dev.llmproxy.openai.Operation;
import dev.llmproxy.openai.ProxyError;
import dev.llmproxy.openai.ProxyErrorException;
import dev.llmproxy.routes.Responses;
import dev.llmproxy.upstream.Hop;
import dev.llmproxy.upstream.Upstream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.IntConsumer;

/**
 * {@code /v1/responses} and Anthropic's {@code /v1/messages} (and its {@code count_tokens}): the model resolves like
 * any other; a Responses request goes through unchanged to an upstream that serves the API natively, else each is
 * translated to a chat request ({@code bridge}) and its answer back. Messages errors use Anthropic's envelope
 * throughout.
 *
 * <p>Threading: stateless; called on the client channel's event loop. A Messages prompt is counted on the
 * {@code work} pool and the request continues on its loop.
 */
final class BridgedEndpoints {
    private static final Logger log = LoggerFactory.getLogger(BridgedEndpoints.class);

    private final ClientServices services;

    BridgedEndpoints(ClientServices services) {
        this.services = services;
    }

    /** Starts a {@code route} request whose body is {@code raw} (owned). */
    void start(Route route, ByteBuf raw, ForwardedRequest to) {
        boolean anthropic = route != Route.RESPONSES;
        HttpVersion version = to.request().protocolVersion();
        if (anthropic) {
            to.renderErrorsWith(error -> anthropicError(version, error));
        }
        JsonNode json;
        try (ByteBufInputStream in = new ByteBufInputStream(raw.duplicate())) {
            json = Json.readTree(in);
        } catch (IOException e) {
            json = null;
        }
        if (json == null || !json.isObject()) {
            raw.release();
            to.sendError(ProxyError.of(ErrorKind.INVALID_JSON, "request body must be a JSON object"));
            return;
        }
        ObjectNode request = (ObjectNode) json;
        JsonNode model = request.get("model");
        List<Hop> resolved = model != null && model.isTextual() ? services.upstreams().resolve(model.textValue())
                : List.of();
        Upstream first = resolved.isEmpty() ? null : resolved.get(0).upstream();
        if (route == Route.RESPONSES && first != null && allNative(resolved)) {
            OpenAiRequests.Prepared prepared = OpenAiRequests.prepare(Operation.RESPONSES, request,
                    ForwardedRequest.NO_RESOLUTION, false);
            if (prepared.error() != null) {
                raw.release();
                to.sendError(prepared.error());
                return;
            }
            to.forward(Operation.RESPONSES, prepared, raw, ResponseConverter.NONE);
            return;
        }
        raw.release();
        ChatDialect dialect = dialectOf(first);
        if (route != Route.MESSAGES_COUNT_TOKENS) {
            to.rebridgeFrom(route, request); // a failover rebuilds the chat request in the next upstream's dialect
        }
        try {
            if (route == Route.RESPONSES) {
                ResponsesCall call = new ResponsesRequestBridge(dialect).toChat(request);
                forwardChat(to, call.chatRequest(), new ResponsesConverter(call, RandomIds.INSTANCE));
            } else if (route == Route.MESSAGES) {
                MessagesCall call = new MessagesRequestBridge(dialect).toChat(request);
                countThen(to, call, first == null ? call.model() : resolved.get(0).model(),
                        tokens -> forwardChat(to, call.chatRequest(), new MessagesConverter(call, tokens,
                                RandomIds.INSTANCE)));
            } else {
                MessagesCall call = new MessagesRequestBridge(dialect).toChatForCount(request);
                if (first == null) {
                    to.sendError(ProxyError.of(ErrorKind.MODEL_NOT_FOUND, "The model '"
                            + PrintableText.of(call.model(), 200) + "' is not served by any configured upstream"));
                    return;
                }
                countThen(to, call, resolved.get(0).model(), tokens -> to.respond(Responses.json(version,
                        HttpResponseStatus.OK, MessagesTokenCounter.responseBody(tokens))));
            }
        } catch (ProxyErrorException e) {
            to.sendError(e.error());
        }
    }

    /**
     * Whether every hop serves the Responses API natively. A failover resends the same body to the next hop's path,
     * so one bridged hop means the whole route is bridged: chat completions is served by native upstreams too.
     */
    private static boolean allNative(List<Hop> hops) {
        for (Hop h : hops) {
            if (h.upstream().spec().responses() != ResponsesMode.NATIVE) {
                return false;
            }
        }
        return true;
    }

    /** The chat dialect of {@code upstream}: open-weights servers take {@code max_tokens} and {@code top_k}. */
    static ChatDialect dialectOf(Upstream upstream) {
        return upstream != null && upstream.kind() == UpstreamKind.OPENAI_COMPATIBLE
                ? ChatDialect.OPEN_WEIGHTS : ChatDialect.OPENAI;
    }

    /** A bridged chat request, checked and sent like a client's own chat call. */
    private void forwardChat(ForwardedRequest to, ObjectNode chat, ResponseConverter converter) {
        OpenAiRequests.Prepared prepared = OpenAiRequests.prepare(Operation.CHAT_COMPLETIONS, chat,
                ForwardedRequest.NO_RESOLUTION, services.config().metrics().injectStreamUsage());
        if (prepared.error() != null) {
            to.sendError(prepared.error());
            return;
        }
        to.forward(Operation.CHAT_COMPLETIONS, prepared, Unpooled.wrappedBuffer(Json.bytes(prepared.upstreamBody())),
                converter);
    }

    /** Counts the prompt's tokens off the event loop (a long prompt costs milliseconds), then continues there. */
    private void countThen(ForwardedRequest to, MessagesCall call, String upstreamModel, IntConsumer next) {
        MessagesTokenCounter counter = new MessagesTokenCounter(services.tokens());
        CompletableFuture<Integer> counted;
        try {
            counted = CompletableFuture.supplyAsync(() -> counter.count(call, upstreamModel), services.work());
        } catch (RejectedExecutionException e) {
            to.sendError(OffLoop.busy()); // the work queue is full: 503 server_busy
            return;
        }
        counted
                .whenComplete((tokens, failure) -> to.executor().execute(() -> {
                    if (to.ended()) {
                        return; // the client left meanwhile
                    }
                    if (failure != null) {
                        log.warn("token count of a Messages request failed", failure);
                        to.sendError(ProxyError.of(ErrorKind.INTERNAL, "the prompt's tokens could not be counted"));
                        return;
                    }
                    next.accept(tokens);
                }));
    }

    /** {@code error} in Anthropic's envelope, status and headers: what a Messages client reads. */
    static FullHttpResponse anthropicError(HttpVersion version, ProxyError error) {
        AnthropicError answer = AnthropicError.of(error);
        FullHttpResponse response = Responses.json(version, HttpResponseStatus.valueOf(answer.status()),
                answer.body());
        answer.headers().forEach((name, value) -> response.headers().set(name, value));
        return response;
    }
}
