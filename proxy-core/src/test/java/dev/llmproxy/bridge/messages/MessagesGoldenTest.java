package dev.llmproxy.bridge.messages;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.bridge.BridgeFixtures;
import dev.llmproxy.bridge.ChatDialect;
import dev.llmproxy.bridge.SequentialIds;
import dev.llmproxy.exchange.BodyConverter;
import dev.llmproxy.openai.Json;
import io.netty.handler.codec.http.HttpResponse;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.List;
import java.util.Random;

import static dev.llmproxy.bridge.BridgeFixtures.events;
import static dev.llmproxy.bridge.BridgeFixtures.resource;
import static dev.llmproxy.bridge.BridgeFixtures.run;
import static dev.llmproxy.bridge.BridgeFixtures.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Chat answers bridged to the Messages API match their golden files ({@code bridge/messages/<case>.sse} for
 * {@code bridge/chat/<case>.sse}, {@code .json} for the non-stream completion) event by event — types, order,
 * block indices, ids, stop reason, final usage — whatever byte offsets the upstream body is split at.
 */
class MessagesGoldenTest {
    static final long INPUT_TOKENS = 25;

    static MessagesCall call() throws IOException {
        return new MessagesRequestBridge(ChatDialect.OPENAI)
                .toChat((ObjectNode) Json.MAPPER.readTree(resource("bridge/messages/request.json")));
    }

    static BodyConverter converter(MessagesCall call, HttpResponse head) {
        return new MessagesConverter(call, INPUT_TOKENS, new SequentialIds()).forResponse(head);
    }

    static String[] streamCases() {
        return BridgeFixtures.STREAM_CASES;
    }

    static String[] completionCases() {
        return BridgeFixtures.COMPLETION_CASES;
    }

    @ParameterizedTest
    @MethodSource("streamCases")
    void streamMatchesGoldenWhereverTheUpstreamSplitsIt(String name) throws IOException {
        MessagesCall call = call();
        byte[] chat = resource("bridge/chat/" + name + ".sse");
        List<String> expected = events(text("bridge/messages/" + name + ".sse"));
        assertThat(events(run(converter(call, BridgeFixtures.sseHead()), chat))).containsExactlyElementsOf(expected);
        for (int cut = 0; cut <= chat.length; cut++) {
            assertThat(events(run(converter(call, BridgeFixtures.sseHead()), chat, cut)))
                    .as("split at byte %d", cut).containsExactlyElementsOf(expected);
        }
        Random random = new Random(42);
        for (int round = 0; round < 100; round++) {
            int[] cuts = BridgeFixtures.randomCuts(random, chat.length, 1 + random.nextInt(12));
            assertThat(events(run(converter(call, BridgeFixtures.sseHead()), chat, cuts)))
                    .as("split at bytes %s", java.util.Arrays.toString(cuts)).containsExactlyElementsOf(expected);
        }
    }

    @ParameterizedTest
    @MethodSource("completionCases")
    void completionMatchesGolden(String name) throws IOException {
        byte[] chat = resource("bridge/chat/" + name + ".json");
        String converted = run(converter(call(), BridgeFixtures.jsonHead()), chat, chat.length / 2);
        assertThat(converted).isEqualTo(text("bridge/messages/" + name + ".json"));
    }
}
