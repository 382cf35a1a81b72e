package dev.llmproxy.bridge.responses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.core.ObjectMappers;
import com.openai.helpers.ResponseAccumulator;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseStatus;
import com.openai.models.responses.ResponseStreamEvent;
import dev.llmproxy.bridge.BridgeFixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.llmproxy.bridge.BridgeFixtures.eventData;
import static dev.llmproxy.bridge.BridgeFixtures.eventName;
import static dev.llmproxy.bridge.BridgeFixtures.events;
import static dev.llmproxy.bridge.BridgeFixtures.resource;
import static dev.llmproxy.bridge.BridgeFixtures.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the Responses bridge emits is what the official OpenAI Java SDK parses: every event deserializes into the
 * SDK's {@link ResponseStreamEvent} and passes its strict validation, the stream is self-consistent (sequence numbers,
 * item ids by output index), and the SDK's {@link ResponseAccumulator} ends with the same {@link Response} as the
 * non-stream conversion of the same chat answer.
 */
class ResponsesSdkTest {
    private static final ObjectMapper SDK = ObjectMappers.jsonMapper();

    static String[] streamCases() {
        return BridgeFixtures.STREAM_CASES;
    }

    static String[] completionCases() {
        return BridgeFixtures.COMPLETION_CASES;
    }

    private static List<String> stream(String name) throws IOException {
        return events(run(ResponsesGoldenTest.converter(ResponsesGoldenTest.call(), BridgeFixtures.sseHead()),
                resource("bridge/chat/" + name + ".sse")));
    }

    @ParameterizedTest
    @MethodSource("streamCases")
    void everyEventIsAValidSdkEventInAConsistentStream(String name) throws IOException {
        List<String> events = stream(name);
        Map<Long, String> itemIds = new HashMap<>();
        long sequence = 0;
        for (String event : events) {
            ResponseStreamEvent parsed = SDK.readValue(eventData(event), ResponseStreamEvent.class);
            parsed.validate();
            JsonNode data = SDK.readTree(eventData(event));
            assertThat(data.path("type").asText()).as("event: line").isEqualTo(eventName(event));
            assertThat(data.path("sequence_number").asLong()).isEqualTo(sequence++);
            if (parsed.isOutputItemAdded()) {
                long index = parsed.asOutputItemAdded().outputIndex();
                assertThat(index).as("output indexes open in order").isEqualTo(itemIds.size());
                itemIds.put(index, data.at("/item/id").asText());
            } else if (data.has("item_id")) {
                assertThat(data.path("item_id").asText()).as("item id of output %s", data.path("output_index"))
                        .isEqualTo(itemIds.get(data.path("output_index").asLong()));
            }
        }
        assertThat(eventName(events.get(0))).isEqualTo("response.created");
        assertThat(eventName(events.get(1))).isEqualTo("response.in_progress");
        assertThat(eventName(events.get(events.size() - 1)))
                .isIn("response.completed", "response.incomplete", "response.failed");
    }

    @ParameterizedTest
    @MethodSource("completionCases")
    void accumulatedStreamEqualsTheNonStreamResponse(String name) throws IOException {
        ResponseAccumulator accumulator = ResponseAccumulator.create();
        for (String event : stream(name)) {
            accumulator.accumulate(SDK.readValue(eventData(event), ResponseStreamEvent.class));
        }
        byte[] completion = resource("bridge/chat/" + name + ".json");
        Response whole = SDK.readValue(run(ResponsesGoldenTest.converter(ResponsesGoldenTest.call(),
                BridgeFixtures.jsonHead()), completion), Response.class);
        whole.validate();
        assertThat(accumulator.response()).isEqualTo(whole);
        assertThat(whole.usage()).isPresent();
        assertThat(whole.usage().get().totalTokens())
                .isEqualTo(SDK.readTree(completion).at("/usage/total_tokens").asLong());
    }

    @ParameterizedTest
    @MethodSource("streamCases")
    void theFinalResponseStatusSaysHowTheAnswerEnded(String name) throws IOException {
        List<String> events = stream(name);
        Response last = SDK.readValue(eventData(events.get(events.size() - 1)), ResponseStreamEvent.class)
                .accept(new ResponseStreamEvent.Visitor<Response>() {
                    @Override
                    public Response visitCompleted(com.openai.models.responses.ResponseCompletedEvent e) {
                        return e.response();
                    }

                    @Override
                    public Response visitIncomplete(com.openai.models.responses.ResponseIncompleteEvent e) {
                        return e.response();
                    }

                    @Override
                    public Response visitFailed(com.openai.models.responses.ResponseFailedEvent e) {
                        return e.response();
                    }
                });
        ResponseStatus expected = switch (name) {
            case "length" -> ResponseStatus.INCOMPLETE;
            case "error-mid-stream", "cut" -> ResponseStatus.FAILED;
            default -> ResponseStatus.COMPLETED;
        };
        assertThat(last.status()).contains(expected);
        if (expected == ResponseStatus.INCOMPLETE) {
            assertThat(last.incompleteDetails().flatMap(d -> d.reason()))
                    .contains(Response.IncompleteDetails.Reason.MAX_OUTPUT_TOKENS);
        }
        if (expected == ResponseStatus.FAILED) {
            assertThat(last.error()).isPresent();
            assertThat(last.error().get().message()).isNotBlank();
        }
    }
}
