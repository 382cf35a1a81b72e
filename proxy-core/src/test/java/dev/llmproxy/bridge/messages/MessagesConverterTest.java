package dev.llmproxy.bridge.messages;

import com.anthropic.core.ObjectMappers;
import com.anthropic.models.ErrorResponse;
import com.anthropic.models.ErrorType;
import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.bridge.BridgeFixtures;
import dev.llmproxy.bridge.RandomIds;
import dev.llmproxy.exchange.BodyConverter;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.ProxyError;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.llmproxy.bridge.BridgeFixtures.ALLOC;
import static dev.llmproxy.bridge.BridgeFixtures.delta;
import static dev.llmproxy.bridge.BridgeFixtures.eventData;
import static dev.llmproxy.bridge.BridgeFixtures.eventName;
import static dev.llmproxy.bridge.BridgeFixtures.events;
import static dev.llmproxy.bridge.BridgeFixtures.resource;
import static dev.llmproxy.bridge.BridgeFixtures.run;
import static dev.llmproxy.bridge.BridgeFixtures.sse;
import static org.assertj.core.api.Assertions.assertThat;

/** Errors in Anthropic's shape, and how a bridged Messages answer ends and orders its blocks in each situation. */
class MessagesConverterTest {

    private static BodyConverter stream() throws IOException {
        return MessagesGoldenTest.converter(MessagesGoldenTest.call(), BridgeFixtures.sseHead());
    }

    private static JsonNode data(String event) throws IOException {
        return Json.MAPPER.readTree(eventData(event));
    }

    /** The final message of a stream: what the non-stream conversion gives for the same answer. */
    private static JsonNode whole(String... chunks) throws IOException {
        StringBuilder content = new StringBuilder();
        String finish = null;
        for (String chunk : chunks) {
            JsonNode choice = Json.MAPPER.readTree(chunk).at("/choices/0");
            content.append(choice.at("/delta/content").asText(""));
            if (choice.path("finish_reason").isTextual()) {
                finish = choice.path("finish_reason").asText();
            }
        }
        String completion = "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                + Json.MAPPER.writeValueAsString(content.toString()) + "},\"finish_reason\":\"" + finish + "\"}]}";
        return Json.MAPPER.readTree(run(MessagesGoldenTest.converter(MessagesGoldenTest.call(),
                BridgeFixtures.jsonHead()), completion.getBytes(StandardCharsets.UTF_8)));
    }

    @ParameterizedTest(name = "{0} → {1}")
    @CsvSource({"400, invalid_request_error", "401, authentication_error", "403, permission_error",
            "404, not_found_error", "413, request_too_large", "422, invalid_request_error", "429, rate_limit_error",
            "500, api_error", "502, api_error", "503, overloaded_error", "504, timeout_error"})
    void upstreamErrorsGetAnthropicsEnvelopeUnderTheSameStatus(int status, String type) throws IOException {
        BodyConverter converter = new MessagesConverter(MessagesGoldenTest.call(), 0, RandomIds.INSTANCE)
                .forResponse(BridgeFixtures.head(status, "application/json"));
        assertThat(converter.aggregates()).isTrue();
        assertThat(converter.status(HttpResponseStatus.valueOf(status)).code()).isEqualTo(status);
        String body = run(converter, ("{\"error\":{\"message\":\"upstream says no\",\"type\":\"x\",\"param\":null,"
                + "\"code\":null}}").getBytes(StandardCharsets.UTF_8), 9);
        if (status != 413) { // Anthropic documents request_too_large for 413; the SDK's error union lacks it
            ObjectMappers.jsonMapper().readValue(body, ErrorResponse.class).validate();
        }
        assertThat(Json.MAPPER.readTree(body).path("type").asText()).isEqualTo("error");
        assertThat(Json.MAPPER.readTree(body).at("/error/type").asText()).isEqualTo(type);
        assertThat(Json.MAPPER.readTree(body).at("/error/message").asText()).isEqualTo("upstream says no");
    }

    @Test
    void anUnreadableOrOversizedErrorBodyStillGetsAnEnvelope() throws IOException {
        BodyConverter html = new MessagesConverter(MessagesGoldenTest.call(), 0, RandomIds.INSTANCE)
                .forResponse(BridgeFixtures.head(502, "text/html"));
        assertThat(Json.MAPPER.readTree(run(html, "<h1>Bad gateway</h1>".getBytes(StandardCharsets.UTF_8)))
                .at("/error/message").asText()).isEqualTo("the upstream answered 502");
        BodyConverter huge = new MessagesConverter(MessagesGoldenTest.call(), 0, RandomIds.INSTANCE)
                .forResponse(BridgeFixtures.head(500, "application/json"));
        byte[] body = ("{\"error\":{\"message\":\"" + "x".repeat(AnthropicErrorConverter.MAX_BYTES) + "\"}}")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(Json.MAPPER.readTree(run(huge, body, 100, 50_000)).at("/error/type").asText())
                .isEqualTo("api_error");
    }

    @Test
    void theProxysOwnErrorsRenderInAnthropicsShapeWithTheirHeaders() throws IOException {
        AnthropicError limited = AnthropicError.of(ProxyError.of(ErrorKind.RATE_LIMITED).withHeader("Retry-After", "7"));
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.headers()).containsEntry("Retry-After", "7");
        ErrorResponse parsed = ObjectMappers.jsonMapper().readValue(limited.body(), ErrorResponse.class);
        parsed.validate();
        assertThat(parsed.error().isRateLimitError()).isTrue();
        assertThat(Json.MAPPER.readTree(limited.body()).at("/error/message").asText())
                .isEqualTo(ErrorKind.RATE_LIMITED.defaultMessage());

        AnthropicError invalid = AnthropicError.of(ProxyError.of(ErrorKind.UNSUPPORTED_PARAMETER, "container: x"));
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(ObjectMappers.jsonMapper().readValue(invalid.body(), ErrorResponse.class).error()
                .isInvalidRequestError()).isTrue();
        assertThat(AnthropicError.type(401)).isEqualTo(ErrorType.AUTHENTICATION_ERROR.toString());
    }

    @Test
    void aFailureMidStreamEndsWithAnErrorEventTypedByItsStatus() throws IOException {
        byte[] chat = resource("bridge/chat/tool-call.sse");
        List<String> events = events(run(stream(), chat, ProxyError.of(ErrorKind.UPSTREAM_TIMEOUT), chat.length / 2));
        String last = events.get(events.size() - 1);
        assertThat(eventName(last)).isEqualTo("error");
        assertThat(data(last).at("/error/type").asText()).isEqualTo("timeout_error");
        assertThat(data(last).at("/error/message").asText()).isEqualTo(ErrorKind.UPSTREAM_TIMEOUT.defaultMessage());
        String complete = run(stream(), chat);
        assertThat(run(stream(), chat, ProxyError.of(ErrorKind.UPSTREAM_TIMEOUT), chat.length)).isEqualTo(complete);
    }

    @Test
    void aStopSequenceNamedByTheUpstreamIsReportedAsSuch() throws IOException {
        String[] chunks = {delta("{\"content\":\"Done\"}", null),
                "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\",\"stop_reason\":\"END\"}]}"};
        List<String> events = events(run(stream(), sse(chunks[0], chunks[1], "[DONE]")));
        JsonNode messageDelta = data(events.get(events.size() - 2));
        assertThat(messageDelta.at("/delta/stop_reason").asText()).isEqualTo("stop_sequence");
        assertThat(messageDelta.at("/delta/stop_sequence").asText()).isEqualTo("END");

        String other = "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\",\"stop_reason\":\"NOPE\"}]}";
        List<String> unknown = events(run(stream(), sse(chunks[0], other, "[DONE]")));
        assertThat(data(unknown.get(unknown.size() - 2)).at("/delta/stop_reason").asText()).isEqualTo("end_turn");
    }

    @Test
    void textAfterALiveToolCallIsHeldUntilTheToolBlockCloses() throws IOException {
        List<String> events = events(run(stream(), sse(
                delta("{\"tool_calls\":[{\"index\":0,\"id\":\"c\",\"function\":{\"name\":\"f\",\"arguments\":\"{\"}}]}",
                        null),
                delta("{\"content\":\"By the way\"}", null),
                delta("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"}\"}}]}", null),
                delta("{}", "stop"), "[DONE]")));
        assertThat(events).extracting(BridgeFixtures::eventName).containsExactly("message_start", "ping",
                "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop");
        assertThat(data(events.get(6)).at("/content_block/type").asText()).isEqualTo("text");
        assertThat(data(events.get(7)).at("/delta/text").asText()).isEqualTo("By the way");
        assertThat(data(events.get(9)).at("/delta/stop_reason").asText())
                .as("stop after a tool call is tool_use").isEqualTo("tool_use");
    }

    @Test
    void contentFilterIsARefusalAndAMissingUsageKeepsTheEstimate() throws IOException {
        String[] chunks = {delta("{\"content\":\"I can't\"}", null), delta("{}", "content_filter")};
        List<String> events = events(run(stream(), sse(chunks[0], chunks[1], "[DONE]")));
        JsonNode messageDelta = data(events.get(events.size() - 2));
        assertThat(messageDelta.at("/delta/stop_reason").asText()).isEqualTo("refusal");
        assertThat(messageDelta.path("usage").toString()).isEqualTo("{\"output_tokens\":0}");
        JsonNode whole = whole(chunks);
        assertThat(whole.path("stop_reason").asText()).isEqualTo("refusal");
        assertThat(whole.path("usage").toString())
                .isEqualTo("{\"input_tokens\":" + MessagesGoldenTest.INPUT_TOKENS + ",\"output_tokens\":0}");
    }

    @Test
    void aClientGoneMidStreamReleasesEverything() throws IOException {
        BodyConverter converter = stream();
        byte[] chat = resource("bridge/chat/reasoning.sse");
        ByteBuf chunk = ALLOC.buffer().writeBytes(chat, 0, chat.length / 2 + 5);
        try {
            converter.onContent(chunk, ALLOC, ByteBuf::release);
        } finally {
            chunk.release();
            converter.close();
        }
    }
}
