package dev.llmproxy.bridge.responses;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.bridge.BridgeFixtures;
import dev.llmproxy.bridge.RandomIds;
import dev.llmproxy.exchange.BodyConverter;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.ProxyError;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How a bridged Responses answer ends in each situation, and what passes through untouched. */
class ResponsesConverterTest {

    private static BodyConverter stream() throws IOException {
        return ResponsesGoldenTest.converter(ResponsesGoldenTest.call(), BridgeFixtures.sseHead());
    }

    private static JsonNode data(String event) throws IOException {
        return Json.MAPPER.readTree(eventData(event));
    }

    private static String last(List<String> events) {
        return events.get(events.size() - 1);
    }

    @Test
    void upstreamErrorsPassThroughInTheOpenAiEnvelopeTheyAlreadyHave() throws IOException {
        ResponsesConverter converter = new ResponsesConverter(ResponsesGoldenTest.call(), RandomIds.INSTANCE);
        assertThat(converter.forResponse(BridgeFixtures.head(429, "application/json"))).isNull();
        assertThat(converter.forResponse(BridgeFixtures.head(500, "text/plain"))).isNull();
    }

    @Test
    void aFailureMidStreamEndsWithResponseFailedContinuingTheSequence() throws IOException {
        byte[] chat = resource("bridge/chat/text.sse");
        List<String> events = events(run(stream(), chat, ProxyError.of(ErrorKind.UPSTREAM_TIMEOUT), chat.length / 2));
        String failed = last(events);
        assertThat(eventName(failed)).isEqualTo("response.failed");
        JsonNode response = data(failed).path("response");
        assertThat(response.path("status").asText()).isEqualTo("failed");
        assertThat(response.at("/error/code").asText()).isEqualTo("server_error");
        assertThat(response.at("/error/message").asText()).isEqualTo(ErrorKind.UPSTREAM_TIMEOUT.defaultMessage());
        assertThat(data(failed).path("sequence_number").asInt()).isEqualTo(events.size() - 1);

        List<String> limited = events(run(stream(), chat, ProxyError.of(ErrorKind.UPSTREAM_RATE_LIMITED), 10));
        assertThat(data(last(limited)).at("/response/error/code").asText()).isEqualTo("rate_limit_exceeded");
    }

    @Test
    void aFailureAfterTheAnswerEndedAddsNothing() throws IOException {
        byte[] chat = resource("bridge/chat/text.sse");
        String complete = run(stream(), chat);
        assertThat(run(stream(), chat, ProxyError.of(ErrorKind.UPSTREAM_CONNECTION_LOST), chat.length))
                .isEqualTo(complete);
    }

    @Test
    void doneWithoutAFinishReasonCompletesAndContentFilterIsIncomplete() throws IOException {
        List<String> done = events(run(stream(), sse(delta("{\"content\":\"Hi\"}", null), "[DONE]")));
        assertThat(eventName(last(done))).isEqualTo("response.completed");
        List<String> filtered = events(run(stream(), sse(delta("{\"content\":\"Hi\"}", "content_filter"), "[DONE]")));
        assertThat(eventName(last(filtered))).isEqualTo("response.incomplete");
        assertThat(data(last(filtered)).at("/response/incomplete_details/reason").asText())
                .isEqualTo("content_filter");
    }

    @Test
    void aToolCallNamedOnlyInALaterFragmentIsAnnouncedWithItsNameAndEarlierArguments() throws IOException {
        List<String> events = events(run(stream(), sse(
                delta("{\"tool_calls\":[{\"index\":0,\"id\":\"c\",\"function\":{\"arguments\":\"{\\\"a\\\"\"}}]}", null),
                delta("{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"f\",\"arguments\":\":1}\"}}]}", null),
                delta("{}", "tool_calls"), "[DONE]")));
        assertThat(events).extracting(BridgeFixtures::eventName).containsSubsequence(
                "response.output_item.added", "response.function_call_arguments.delta",
                "response.function_call_arguments.done");
        String added = events.stream().filter(e -> eventName(e).equals("response.output_item.added")).findFirst()
                .orElseThrow();
        assertThat(data(added).at("/item/name").asText()).isEqualTo("f");
        String delta = events.stream().filter(e -> eventName(e).equals("response.function_call_arguments.delta"))
                .findFirst().orElseThrow();
        assertThat(data(delta).path("delta").asText()).isEqualTo("{\"a\":1}");
        assertThat(data(last(events)).at("/response/output/0/arguments").asText()).isEqualTo("{\"a\":1}");
    }

    @Test
    void anUnreadableUpstreamEventIsAnUpstreamFaultAndNothingLeaks() throws IOException {
        BodyConverter converter = stream();
        ByteBuf chunk = ALLOC.buffer().writeBytes("data: {not json\n\n".getBytes(StandardCharsets.UTF_8));
        try {
            assertThatThrownBy(() -> converter.onContent(chunk, ALLOC, ByteBuf::release))
                    .isInstanceOf(IllegalStateException.class);
            ByteBuf failed = converter.onStreamError(ProxyError.of(ErrorKind.UPSTREAM_BAD_RESPONSE), ALLOC);
            String text = failed.toString(StandardCharsets.UTF_8);
            failed.release();
            assertThat(text).contains("event: response.failed");
        } finally {
            chunk.release();
            converter.close();
        }
    }

    @Test
    void aClientGoneMidStreamReleasesEverything() throws IOException {
        BodyConverter converter = stream();
        byte[] chat = resource("bridge/chat/parallel-tools.sse");
        ByteBuf chunk = ALLOC.buffer().writeBytes(chat, 0, chat.length / 2 + 7); // ends inside an event
        try {
            converter.onContent(chunk, ALLOC, ByteBuf::release);
        } finally {
            chunk.release();
            converter.close(); // the leak detector fails the class if the held partial event survived this
        }
    }

    @Test
    void aNonJsonCompletionIsRefused() throws IOException {
        BodyConverter converter = ResponsesGoldenTest.converter(ResponsesGoldenTest.call(), BridgeFixtures.jsonHead());
        assertThat(converter.aggregates()).isTrue();
        assertThatThrownBy(() -> run(converter, "<html>".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalStateException.class);
    }
}
