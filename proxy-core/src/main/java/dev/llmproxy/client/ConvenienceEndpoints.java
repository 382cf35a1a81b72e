package dev.llmproxy.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.exchange.AnswerConverter;
import dev.llmproxy.exchange.ResponseConverter;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.OpenAiRequests;
import dev.llmproxy.openai.Operation;
import dev.llmproxy.openai.ProxyError;
import dev.llmproxy.routes.Responses;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.io.IOException;
import java.util.List;

/**
 * The convenience endpoints ({@code /v1/simple-chat}, {@code /v1/test-model}, {@code /v1/proxy}): the proxy
 * composes a chat request from what the client sent ({@link ConvenienceRequests}) and answers in the endpoint's own
 * shape, through the same admission, metrics and upstream path as a direct chat call.
 *
 * <p>Threading: stateless; called on the client channel's event loop.
 */
final class ConvenienceEndpoints {
    private final ClientServices services;

    ConvenienceEndpoints(ClientServices services) {
        this.services = services;
    }

    /** Starts a {@code route} request whose body is {@code raw} (owned). */
    void start(Route route, ByteBuf raw, ForwardedRequest to) {
        HttpRequest request = to.request();
        ConvenienceRequests.Built built;
        if (route == Route.TEST_MODEL && HttpMethod.GET.equals(request.method())) {
            raw.release();
            List<String> model;
            try {
                model = new QueryStringDecoder(request.uri()).parameters().get("model");
            } catch (IllegalArgumentException e) { // a broken %-escape
                to.sendError(ProxyError.of(ErrorKind.INVALID_PARAMETER,
                        "the query string is not valid percent-encoding", "model"));
                return;
            }
            built = ConvenienceRequests.testModel(model == null || model.isEmpty() ? null : model.get(0));
        } else {
            JsonNode json;
            try (ByteBufInputStream in = new ByteBufInputStream(raw)) {
                json = Json.readTree(in);
            } catch (IOException e) {
                json = null;
            } finally {
                raw.release();
            }
            if (json == null || !json.isObject()) {
                to.sendError(ProxyError.of(ErrorKind.INVALID_JSON, "request body must be a JSON object"));
                return;
            }
            built = route == Route.SIMPLE_CHAT ? ConvenienceRequests.simpleChat(json)
                    : route == Route.TEST_MODEL ? ConvenienceRequests.testModel(json.path("model").isTextual()
                    ? json.path("model").textValue() : null)
                    : ConvenienceRequests.universal(json);
        }
        if (route == Route.TEST_MODEL) {
            String model = built.clientModel();
            HttpVersion version = request.protocolVersion();
            to.renderErrorsWith(error -> testModelFailure(version, model, error)); // a probe reports failure as data
        }
        if (built.error() != null) {
            to.sendError(built.error());
            return;
        }
        OpenAiRequests.Prepared prepared = OpenAiRequests.prepare(Operation.CHAT_COMPLETIONS, built.chat(),
                ForwardedRequest.NO_RESOLUTION, services.config().metrics().injectStreamUsage());
        if (prepared.error() != null) {
            to.sendError(prepared.error());
            return;
        }
        ResponseConverter converter = route == Route.SIMPLE_CHAT ? AnswerConverter.simpleChat()
                : route == Route.TEST_MODEL ? AnswerConverter.testModel(built.clientModel()) : ResponseConverter.NONE;
        to.forward(Operation.CHAT_COMPLETIONS, prepared, Unpooled.wrappedBuffer(Json.bytes(built.chat())), converter);
    }

    /** A {@code /v1/test-model} probe that failed, as data: 200 with {@code working: false} (400 for bad input). */
    private static FullHttpResponse testModelFailure(HttpVersion version, String model, ProxyError error) {
        ObjectNode answer = Json.object();
        answer.put("working", false);
        answer.put("model", model);
        answer.put("status", error.status());
        answer.put("error", error.message());
        answer.put("code", error.kind().code());
        FullHttpResponse response = Responses.json(version,
                error.kind() == ErrorKind.INVALID_PARAMETER || error.kind() == ErrorKind.INVALID_JSON
                        ? HttpResponseStatus.BAD_REQUEST : HttpResponseStatus.OK, answer);
        error.headers().forEach((name, value) -> response.headers().set(name, value));
        return response;
    }
}
