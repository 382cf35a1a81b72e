package dev.llmproxy.bridge.messages;

import com.anthropic.core.ObjectMappers;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.ErrorResponse;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmproxy.bridge.BridgeFixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.List;

import static dev.llmproxy.bridge.BridgeFixtures.eventData;
import static dev.llmproxy.bridge.BridgeFixtures.eventName;
import static dev.llmproxy.bridge.BridgeFixtures.events;
import static dev.llmproxy.bridge.BridgeFixtures.resource;
import static dev.llmproxy.bridge.BridgeFixtures.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the Messages bridge emits is what the official Anthropic Java SDK parses: every event deserializes into the
 * SDK's {@link RawMessageStreamEvent} (or, for {@code error}, its {@link ErrorResponse}) and passes its strict
 * validation, content blocks open and close one at a time, and the SDK's {@link MessageAccumulator} builds the same
 * {@link Message} as the non-stream conversion of the same chat answer.
 */
class MessagesSdkTest {
    private static final ObjectMapper SDK = ObjectMappers.jsonMapper();

    static String[] streamCases() {
        return BridgeFixtures.STREAM_CASES;
    }

    static String[] completionCases() {
        return BridgeFixtures.COMPLETION_CASES;
    }

    private static List<String> stream(String name) throws IOException {
        return events(run(MessagesGoldenTest.converter(MessagesGoldenTest.call(), BridgeFixtures.sseHead()),
                resource("bridge/chat/" + name + ".sse")));
    }

    @ParameterizedTest
    @MethodSource("streamCases")
    void everyEventIsAValidSdkEventWithOneBlockOpenAtATime(String name) throws IOException {
        long open = -1;
        long next = 0;
        for (String event : stream(name)) {
            String type = SDK.readTree(eventData(event)).path("type").asText();
            assertThat(type).as("event: line").isEqualTo(eventName(event));
            if ("ping".equals(type)) {
                continue; // the SDK drops pings before parsing
            }
            if ("error".equals(type)) {
                SDK.readValue(eventData(event), ErrorResponse.class).validate();
                continue;
            }
            RawMessageStreamEvent parsed = SDK.readValue(eventData(event), RawMessageStreamEvent.class);
            parsed.validate();
            if (parsed.isContentBlockStart()) {
                assertThat(open).as("a block is still open").isEqualTo(-1);
                assertThat(parsed.asContentBlockStart().index()).isEqualTo(next++);
                open = parsed.asContentBlockStart().index();
            } else if (parsed.isContentBlockDelta()) {
                assertThat(parsed.asContentBlockDelta().index()).isEqualTo(open);
            } else if (parsed.isContentBlockStop()) {
                assertThat(parsed.asContentBlockStop().index()).isEqualTo(open);
                open = -1;
            }
        }
    }

    @ParameterizedTest
    @MethodSource("completionCases")
    void accumulatedStreamEqualsTheNonStreamMessage(String name) throws IOException {
        MessageAccumulator accumulator = MessageAccumulator.create();
        for (String event : stream(name)) {
            if (!"ping".equals(eventName(event))) {
                accumulator.accumulate(SDK.readValue(eventData(event), RawMessageStreamEvent.class));
            }
        }
        byte[] completion = resource("bridge/chat/" + name + ".json");
        Message whole = SDK.readValue(run(MessagesGoldenTest.converter(MessagesGoldenTest.call(),
                BridgeFixtures.jsonHead()), completion), Message.class);
        whole.validate();
        assertThat(accumulator.message()).isEqualTo(whole);
        long prompt = SDK.readTree(completion).at("/usage/prompt_tokens").asLong();
        assertThat(whole.usage().inputTokens() + whole.usage().cacheReadInputTokens().orElse(0L)).isEqualTo(prompt);
        StopReason expected = switch (name) {
            case "length" -> StopReason.MAX_TOKENS;
            case "tool-call", "parallel-tools" -> StopReason.TOOL_USE;
            default -> StopReason.END_TURN;
        };
        assertThat(whole.stopReason()).contains(expected);
    }
}
