package dev.llmproxy.exchange;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.TokenCounter;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledHeapByteBuf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StreamMeterTest {
    private static final TokenCounter counter = new TokenCounter();
    private static final String MODEL = "openai/gpt-4o-mini";
    private static final JsonNode MESSAGES = json("[{\"role\":\"user\",\"content\":\"Say hello in German.\"}]");

    private static final String ROLE = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
            + "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}],\"usage\":null}\n\n";
    private static final String COMMENT = ": keep-alive ✓\n\n";
    private static final String CONTENT_1 = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
            + "\"delta\":{\"content\":\"Grüße\"},\"finish_reason\":null}],\"usage\":null}\r\n\r\n";
    private static final String CONTENT_2 = "event: message\nid: 7\ndata: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\","
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" aus München – 世界 🚀\"},\"finish_reason\":null}],"
            + "\"usage\":null}\n\n";
    private static final String FINISH = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
            + "\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\r\n\r\n";
    private static final String USAGE = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[],"
            + "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":9,\"total_tokens\":21}}\n\n";
    private static final String DONE = "data: [DONE]\n\n";
    private static final String GENERATED = "Grüße aus München – 世界 🚀";

    /** The realistic stream: role chunk, a comment, content (LF and CRLF, multi-byte UTF-8), finish, usage, [DONE]. */
    private static final List<String> EVENTS = List.of(ROLE, COMMENT, CONTENT_1, CONTENT_2, FINISH, USAGE, DONE);
    /** The same with lone-CR line endings, the usage event CR-ended and the last event ending the body on a CR. */
    private static final List<String> CR_EVENTS = List.of(ROLE.replace("\n", "\r"), CONTENT_1,
            CONTENT_2.replace("\n", "\r"), USAGE.replace("\n", "\r"), DONE.replace("\n", "\r"));

    private final TrackingAllocator alloc = new TrackingAllocator();

    @AfterEach
    void everyBufferIsReleased() {
        assertThat(alloc.allocated).allSatisfy(buf -> assertThat(buf.refCnt()).isZero());
    }

    // ---------------------------------------------------------------- stripping

    @Test
    void strippingRemovesExactlyTheUsageEventForEverySplitOffset() {
        for (List<String> events : List.of(EVENTS, CR_EVENTS)) {
            byte[] stream = utf8(String.join("", events));
            byte[] expected = utf8(String.join("", events).replace(usageEventOf(events), ""));
            for (int split = 0; split <= stream.length; split++) {
                StreamMeter meter = new StreamMeter(true, () -> 0, 10_000);
                byte[] client = run(meter, stream, split);
                assertThat(new String(client, StandardCharsets.UTF_8)).as("split at %d", split)
                        .isEqualTo(new String(expected, StandardCharsets.UTF_8));
                assertThat(meter.usage(counter, MODEL, MESSAGES)).isEqualTo(new Usage(12, 9, false));
                assertThat(meter.usageStripped()).isTrue();
                assertThat(meter.doneSeen()).isTrue();
                meter.close();
            }
        }
    }

    @Test
    void strippingWorksWhenFedOneByteAtATimeAndInRandomPieces() {
        byte[] stream = utf8(String.join("", EVENTS));
        byte[] expected = utf8(String.join("", EVENTS).replace(USAGE, ""));
        StreamMeter meter = new StreamMeter(true, () -> 0, 10_000);
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        for (int i = 0; i < stream.length; i++) {
            drainTo(client, meter.onChunk(chunk(stream, i, i + 1), alloc));
        }
        drainTo(client, meter.endOfStream());
        meter.close();
        assertThat(client.toByteArray()).isEqualTo(expected);

        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            StreamMeter m = new StreamMeter(true, () -> 0, 10_000);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int at = 0;
            while (at < stream.length) {
                int next = Math.min(stream.length, at + random.nextInt(40));
                drainTo(out, m.onChunk(chunk(stream, at, next), alloc));
                at = next;
            }
            drainTo(out, m.endOfStream());
            assertThat(out.toByteArray()).as("round %d", round).isEqualTo(expected);
            assertThat(m.usage(counter, MODEL, MESSAGES)).isEqualTo(new Usage(12, 9, false));
            m.close();
        }
    }

    @Test
    void aNativeResponsesStreamIsMeteredFromItsCompletedEventAndFirstTextDelta() {
        String stream = "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,"
                + "\"response\":{\"id\":\"resp_1\",\"usage\":null}}\n\n"
                + "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\","
                + "\"sequence_number\":1,\"delta\":\"Hi\"}\n\n"
                + "event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":2,"
                + "\"response\":{\"id\":\"resp_1\",\"usage\":{\"input_tokens\":7,\"output_tokens\":2,"
                + "\"total_tokens\":9}}}\n\n";
        long[] clock = {5};
        StreamMeter meter = new StreamMeter(false, () -> clock[0]++, 10_000);
        assertThat(string(meter.onChunk(chunk(utf8(stream)), alloc))).as("passed through unchanged").isEqualTo(stream);
        assertThat(meter.usage(counter, MODEL, MESSAGES)).isEqualTo(new Usage(7, 2, false));
        assertThat(meter.firstTokenNanos()).as("the first output_text delta").isGreaterThanOrEqualTo(5);
        meter.close();
    }

    @Test
    void anEventWhoseDataSpansSeveralLinesIsReadJoined() {
        String stream = "data: {\"choices\":[{\"index\":0,\n"
                + "data: \"delta\":{\"content\":\"Hi\"}}]}\n\n"
                + "data: {\"choices\":[],\n"
                + "data: \"usage\":{\"prompt_tokens\":4,\"completion_tokens\":1,\"total_tokens\":5}}\n\n"
                + "data: [DONE]\n\n";
        long[] clock = {5};
        StreamMeter meter = new StreamMeter(false, () -> clock[0]++, 10_000);
        assertThat(string(meter.onChunk(chunk(utf8(stream)), alloc))).isEqualTo(stream);
        assertThat(meter.usage(counter, MODEL, MESSAGES)).isEqualTo(new Usage(4, 1, false));
        assertThat(meter.firstTokenNanos()).as("the content in the first event").isEqualTo(5);
        assertThat(meter.doneSeen()).isTrue();
        meter.close();
    }

    @Test
    void withoutUsageASmallRequestsPromptIsTokenizedAndALargeOneEstimatedFromItsSize() {
        StreamMeter meter = new StreamMeter(false, () -> 0, 10_000);
        String stream = ROLE + CONTENT_1 + "data: [DONE]\n\n";
        assertThat(string(meter.onChunk(chunk(utf8(stream)), alloc))).isEqualTo(stream);
        Metering peeked = new Metering(counter, MODEL, null, "messages", false);

        byte[] small = utf8("{\"model\":\"m\",\"messages\":" + MESSAGES + "}");
        Usage counted = meter.usage(peeked, io.netty.buffer.Unpooled.wrappedBuffer(small));
        assertThat(counted.promptTokens()).isEqualTo(counter.countPrompt(MESSAGES, MODEL));

        byte[] large = utf8("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\""
                + "word ".repeat(20_000) + "\"}]}");
        assertThat(large.length).isGreaterThan(Metering.TOKENIZED_BODY_BYTES);
        Usage estimated = meter.usage(peeked, io.netty.buffer.Unpooled.wrappedBuffer(large));
        assertThat(estimated.promptTokens()).as("a quarter of its bytes, not a tokenizer run on the event loop")
                .isEqualTo((large.length + 3) / 4);
        assertThat(estimated.estimated()).isTrue();
        meter.close();
    }

    @Test
    void aChunkOfWholeEventsWithNothingToDropIsForwardedItself() {
        StreamMeter meter = new StreamMeter(true, () -> 0, 10_000);
        ByteBuf whole = chunk(utf8(ROLE + CONTENT_1));
        ByteBuf out = meter.onChunk(whole, alloc);
        assertThat(out).isSameAs(whole);
        out.release();
        meter.close();
    }

    @Test
    void strippedOutputIsEventAlignedAndHeldBytesComeOutAtTheEnd() {
        StreamMeter meter = new StreamMeter(true, () -> 0, 10_000);
        String partial = "data: {\"choices\":[{\"delta\":{\"content\":\"cut he";
        byte[] first = utf8(ROLE + partial);
        assertThat(string(meter.onChunk(chunk(first), alloc))).isEqualTo(ROLE);
        assertThat(string(meter.endOfStream())).isEqualTo(partial); // the upstream's cut, as the upstream made it
        assertThat(string(meter.endOfStream())).isEmpty();
        meter.close();
    }

    @Test
    void onlyTheUsageOnlyEventIsStrippedNotErrorsNorUsageOnAContentChunk() {
        String usageWithChoices = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}\n\n";
        String error = "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n";
        String notJson = "data: {not json\n\n";
        String stream = usageWithChoices + notJson + error + DONE;
        StreamMeter meter = new StreamMeter(true, () -> 0, 10_000);
        assertThat(string(meter.onChunk(chunk(utf8(stream)), alloc))).isEqualTo(stream);
        assertThat(meter.usageStripped()).isFalse();
        assertThat(meter.errorSeen()).isTrue();
        assertThat(meter.usage(counter, MODEL, MESSAGES)).isEqualTo(new Usage(3, 1, false));
        meter.close();
    }

    @Test
    void onlyTheFirstUsageOnlyEventIsStripped() {
        String second = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}\n\n";
        StreamMeter meter = new StreamMeter(true, () -> 0, 10_000);
        String out = string(meter.onChunk(chunk(utf8(USAGE + second + DONE)), alloc));
        assertThat(out).isEqualTo(second + DONE);
        meter.close();
    }

    @Test
    void aMalformedUsageEventIsStillStrippedAndTheCountIsEstimated() {
        String bad = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":\"many\"}}\n\n";
        StreamMeter meter = new StreamMeter(true, () -> 0, 10_000);
        String out = string(meter.onChunk(chunk(utf8(CONTENT_1 + bad + DONE)), alloc));
        assertThat(out).isEqualTo(CONTENT_1 + DONE);
        Usage usage = meter.usage(counter, MODEL, MESSAGES);
        assertThat(usage.estimated()).isTrue();
        assertThat(usage.completionTokens()).isEqualTo(counter.count("Grüße", MODEL));
        meter.close();
    }

    @Test
    void anOversizedEventStopsStrippingButLosesAndReordersNothing() {
        String big = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + "x".repeat(400) + "\"}}]}\n\n";
        byte[] stream = utf8(ROLE + big + USAGE + DONE);
        for (int split = 0; split <= stream.length; split += 7) {
            StreamMeter meter = new StreamMeter(true, () -> 0, 10_000, 300);
            byte[] client = run(meter, stream, split);
            assertThat(client).as("split at %d", split).isEqualTo(stream);
            assertThat(meter.usageStripped()).isFalse();
            assertThat(meter.usage(counter, MODEL, MESSAGES)).isEqualTo(new Usage(12, 9, false));
            meter.close();
        }
    }

    @Test
    void closingWithHeldBytesReleasesThem() {
        StreamMeter meter = new StreamMeter(true, () -> 0, 10_000);
        String partial = ROLE.substring(0, 30);
        meter.onChunk(chunk(utf8(ROLE + CONTENT_1 + partial)), alloc).release();
        meter.close();
        meter.close();
        assertThatThrownBy(() -> meter.onChunk(chunk(utf8(DONE)), alloc)).isInstanceOf(IllegalStateException.class);
        assertThat(string(meter.endOfStream())).isEmpty();
    }

    // ---------------------------------------------------------------- without stripping

    @Test
    void withoutStrippingTheClientGetsTheOriginalChunksUnchangedForEverySplitOffset() {
        for (List<String> events : List.of(EVENTS, CR_EVENTS)) {
            byte[] stream = utf8(String.join("", events));
            for (int split = 0; split <= stream.length; split++) {
                StreamMeter meter = new StreamMeter(false, () -> 0, 10_000);
                ByteBuf first = chunk(stream, 0, split);
                ByteBuf second = chunk(stream, split, stream.length);
                ByteBuf out1 = meter.onChunk(first, alloc);
                ByteBuf out2 = meter.onChunk(second, alloc);
                assertThat(out1).isSameAs(first);
                assertThat(out2).isSameAs(second);
                assertThat(ByteBufUtil.getBytes(out1)).isEqualTo(slice(stream, 0, split));
                assertThat(ByteBufUtil.getBytes(out2)).isEqualTo(slice(stream, split, stream.length));
                out1.release();
                out2.release();
                assertThat(meter.endOfStream().isReadable()).isFalse();
                assertThat(meter.usage(counter, MODEL, MESSAGES)).as("split at %d", split)
                        .isEqualTo(new Usage(12, 9, false));
                assertThat(meter.usageStripped()).isFalse();
                meter.close();
            }
        }
    }

    // ---------------------------------------------------------------- accounting

    @Test
    void readsEventsFromDirectBuffersAsFromHeapOnes() {
        for (List<String> events : List.of(EVENTS, CR_EVENTS)) {
            String stream = String.join("", events);
            StreamMeter meter = new StreamMeter(true, () -> 5, 10_000);
            ByteBuf direct = alloc.directBuffer();
            direct.writeBytes(utf8(stream));
            String client = string(meter.onChunk(direct, alloc)) + string(meter.endOfStream());
            assertThat(client).isEqualTo(stream.replace(usageEventOf(events), ""));
            assertThat(meter.usage(counter, MODEL, MESSAGES)).isEqualTo(new Usage(12, 9, false));
            assertThat(meter.firstTokenNanos()).isEqualTo(5);
            assertThat(meter.doneSeen()).isTrue();
            meter.close();
        }
    }

    @Test
    void firstTokenTimeIsTakenAtTheFirstContentEventNotTheRoleChunk() {
        byte[] stream = utf8(String.join("", EVENTS));
        int firstContentEnd = utf8(ROLE + COMMENT + CONTENT_1).length;
        for (boolean strip : new boolean[]{true, false}) {
            for (int split = 0; split <= stream.length; split++) {
                long[] clock = {100};
                StreamMeter meter = new StreamMeter(strip, () -> clock[0], 10_000);
                assertThat(meter.firstTokenNanos()).isEqualTo(-1);
                meter.onChunk(chunk(stream, 0, split), alloc).release();
                clock[0] = 200;
                meter.onChunk(chunk(stream, split, stream.length), alloc).release();
                meter.endOfStream().release();
                assertThat(meter.firstTokenNanos()).as("split at %d", split)
                        .isEqualTo(split >= firstContentEnd ? 100 : 200);
                meter.close();
            }
        }
    }

    @Test
    void toolCallsReasoningAndRefusalsCountAsGeneratedContent() {
        for (String delta : new String[]{"{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}",
                "{\"reasoning_content\":\"hmm\"}", "{\"refusal\":\"no\"}"}) {
            StreamMeter meter = new StreamMeter(false, () -> 5, 10_000);
            meter.onChunk(chunk(utf8("data: {\"choices\":[{\"index\":0,\"delta\":" + delta + "}]}\n\n")), alloc)
                    .release();
            assertThat(meter.firstTokenNanos()).as(delta).isEqualTo(5);
            meter.close();
        }
    }

    @Test
    void withoutAUsageEventTokensAreEstimatedAndMarkedSo() {
        String stream = ROLE + CONTENT_1 + CONTENT_2 + FINISH + DONE;
        StreamMeter meter = new StreamMeter(true, () -> 0, 10_000);
        assertThat(string(meter.onChunk(chunk(utf8(stream)), alloc))).isEqualTo(stream);
        Usage usage = meter.usage(counter, MODEL, MESSAGES);
        assertThat(usage).isEqualTo(new Usage(counter.countChat(MESSAGES, MODEL), counter.count(GENERATED, MODEL), true));
        assertThat(usage.promptTokens()).isPositive();
        assertThat(meter.usageStripped()).isFalse();
        meter.close();
    }

    @Test
    void aLongAnswerPastTheCaptureBoundIsExtrapolated() {
        StringBuilder stream = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            stream.append("data: {\"choices\":[{\"delta\":{\"content\":\"hello world \"}}]}\n\n");
        }
        StreamMeter meter = new StreamMeter(false, () -> 0, 120); // keeps 10 of the 100 pieces
        meter.onChunk(chunk(utf8(stream.toString())), alloc).release();
        Usage usage = meter.usage(counter, MODEL, null);
        assertThat(usage.promptTokens()).isZero();
        assertThat(usage.completionTokens()).isEqualTo(10L * counter.count("hello world ".repeat(10), MODEL));
        assertThat(usage.estimated()).isTrue();
        meter.close();
    }

    @Test
    void anEmptyStreamEstimatesThePromptOnly() {
        StreamMeter meter = new StreamMeter(true, () -> 0, 10_000);
        assertThat(meter.endOfStream().isReadable()).isFalse();
        assertThat(meter.usage(counter, MODEL, MESSAGES)).isEqualTo(new Usage(counter.countChat(MESSAGES, MODEL), 0, true));
        meter.close();
    }

    // ---------------------------------------------------------------- helpers

    /** Feeds {@code stream} in two chunks split at {@code split}, then ends it; returns what the client got. */
    private byte[] run(StreamMeter meter, byte[] stream, int split) {
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        drainTo(client, meter.onChunk(chunk(stream, 0, split), alloc));
        drainTo(client, meter.onChunk(chunk(stream, split, stream.length), alloc));
        drainTo(client, meter.endOfStream());
        return client.toByteArray();
    }

    private static String usageEventOf(List<String> events) {
        return events.stream().filter(e -> e.contains("\"choices\":[],")).findFirst().orElseThrow();
    }

    /** A chunk whose readable bytes do not start at index 0, as decoder slices often do. */
    private ByteBuf chunk(byte[] bytes, int from, int to) {
        ByteBuf buf = alloc.heapBuffer(3 + to - from);
        buf.writeBytes(new byte[]{'#', '#', '#'}).writeBytes(bytes, from, to - from);
        buf.skipBytes(3);
        return buf;
    }

    private ByteBuf chunk(byte[] bytes) {
        return chunk(bytes, 0, bytes.length);
    }

    private static void drainTo(ByteArrayOutputStream sink, ByteBuf out) {
        try {
            sink.writeBytes(ByteBufUtil.getBytes(out));
        } finally {
            out.release();
        }
    }

    private static String string(ByteBuf out) {
        try {
            return out.toString(StandardCharsets.UTF_8);
        } finally {
            out.release();
        }
    }

    private static byte[] slice(byte[] bytes, int from, int to) {
        byte[] part = new byte[to - from];
        System.arraycopy(bytes, from, part, 0, part.length);
        return part;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Unpooled heap buffers, remembered so the test can check each was released. */
    static final class TrackingAllocator extends AbstractByteBufAllocator {
        final List<ByteBuf> allocated = new ArrayList<>();

        TrackingAllocator() {
            super(false);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            ByteBuf buf = new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
            allocated.add(buf);
            return buf;
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            return newHeapBuffer(initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }
}
