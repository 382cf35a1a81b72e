package dev.llmproxy.exchange;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledHeapByteBuf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SseEventAssemblerTest {
    /** Every kind of line ending and field, multi-byte UTF-8, a stray blank line, and a final event ended by CRs. */
    private static final List<String> EVENTS = List.of(
            ": keep-alive ✓\n\n",
            "event: message\nid: 1\ndata: {\"text\":\"héllo – 世界 🚀\"}\n\n",
            "data: first line\r\ndata:second\r\n\r\n",
            "id: 2\rdata: ünïcødé\r\r",
            "retry: 10\ndata: x\r\n\n",
            "\r\n",
            "data: {\"usage\":{\"total_tokens\":3}}\r\r\n",
            "data: [DONE]\r\r");
    private static final byte[] STREAM = utf8(String.join("", EVENTS));

    private final TrackingAllocator alloc = new TrackingAllocator();
    private final Recorder recorder = new Recorder();

    @AfterEach
    void everyGatheringBufferIsReleased() {
        assertThat(alloc.allocated).allSatisfy(buf -> assertThat(buf.refCnt()).isZero());
    }

    @Test
    void yieldsIdenticalEventsForEverySplitOffset() {
        for (int split = 0; split <= STREAM.length; split++) {
            SseEventAssembler assembler = new SseEventAssembler(alloc, 1024);
            Recorder events = new Recorder();
            feed(assembler, events, STREAM, 0, split);
            feed(assembler, events, STREAM, split, STREAM.length);
            assembler.endOfStream(events);
            assertThat(events.texts()).as("split at %d", split).containsExactlyElementsOf(EVENTS);
            assertThat(assembler.hasPartialEvent()).isFalse();
            assembler.close();
        }
    }

    @Test
    void yieldsIdenticalEventsWhenFedOneByteAtATime() {
        SseEventAssembler assembler = new SseEventAssembler(alloc, 1024);
        for (int i = 0; i < STREAM.length; i++) {
            feed(assembler, recorder, STREAM, i, i + 1);
        }
        assembler.endOfStream(recorder);
        assembler.close();

        assertThat(recorder.texts()).containsExactlyElementsOf(EVENTS);
    }

    @Test
    void readsEachEventsDataPerTheSpec() {
        SseEventAssembler assembler = new SseEventAssembler(alloc, 1024);
        feed(assembler, recorder, STREAM, 0, STREAM.length);
        assembler.endOfStream(recorder);
        assembler.close();

        assertThat(recorder.data).containsExactly(
                null,
                "{\"text\":\"héllo – 世界 🚀\"}",
                "first line\nsecond",
                "ünïcødé",
                "x",
                null,
                "{\"usage\":{\"total_tokens\":3}}",
                "[DONE]");
    }

    @Test
    void treatsCrAtChunkEndAndLfAtNextChunkStartAsOneLineEnding() {
        SseEventAssembler assembler = new SseEventAssembler(alloc, 1024);
        feed(assembler, recorder, utf8("data: a\r"));
        feed(assembler, recorder, utf8("\ndata: b\r\n\r\n"));
        assembler.close();

        assertThat(recorder.texts()).containsExactly("data: a\r\ndata: b\r\n\r\n");
        assertThat(recorder.data).containsExactly("a\nb");
    }

    @Test
    void holdsBackAnEventEndedByALoneCrUntilTheNextByteOrEndOfStream() {
        SseEventAssembler assembler = new SseEventAssembler(alloc, 1024);
        feed(assembler, recorder, utf8("data: a\r\r"));
        assertThat(recorder.texts()).isEmpty();
        assertThat(assembler.hasPartialEvent()).isTrue();

        feed(assembler, recorder, utf8("data: b\r\r"));
        assertThat(recorder.texts()).containsExactly("data: a\r\r");

        assembler.endOfStream(recorder);
        assembler.close();
        assertThat(recorder.texts()).containsExactly("data: a\r\r", "data: b\r\r");
    }

    @Test
    void dispatchesAnEventAsSoonAsItsBlankLineArrives() {
        SseEventAssembler assembler = new SseEventAssembler(alloc, 1024);
        feed(assembler, recorder, utf8("data: one\n\ndata: tw"));
        assertThat(recorder.data).containsExactly("one");
        assertThat(assembler.hasPartialEvent()).isTrue();

        feed(assembler, recorder, utf8("o\n\n"));
        assertThat(recorder.data).containsExactly("one", "two");
        assertThat(assembler.hasPartialEvent()).isFalse();
        assembler.close();
    }

    @Test
    void discardsAnOversizedEventOnceThenResumes() {
        String big = "data: " + "a".repeat(100) + "\r\n\r\n";
        byte[] stream = utf8("data: small\n\n" + big + "data: after\n\n");
        for (int split = 0; split <= stream.length; split++) {
            SseEventAssembler assembler = new SseEventAssembler(alloc, 32);
            Recorder events = new Recorder();
            feed(assembler, events, stream, 0, split);
            feed(assembler, events, stream, split, stream.length);
            assembler.close();

            assertThat(events.data).as("split at %d", split).containsExactly("small", "after");
            assertThat(events.overflows).as("split at %d", split).isEqualTo(1);
        }
    }

    @Test
    void countsTheTerminatorTowardsTheLimit() {
        SseEventAssembler assembler = new SseEventAssembler(alloc, 10);
        feed(assembler, recorder, utf8("data: 12\n\n")); // exactly 10 bytes
        feed(assembler, recorder, utf8("data: 123\n\n")); // 11 bytes
        assembler.close();

        assertThat(recorder.data).containsExactly("12");
        assertThat(recorder.overflows).isEqualTo(1);
    }

    @Test
    void handsOverWholeEventsAsSlicesWithoutAllocating() {
        SseEventAssembler assembler = new SseEventAssembler(alloc, 1024);
        feed(assembler, recorder, utf8("data: a\n\ndata: b\n\n"));
        assembler.close();

        assertThat(recorder.data).containsExactly("a", "b");
        assertThat(alloc.allocated).isEmpty();
    }

    @Test
    void gathersEventsThatSpanChunksAndReleasesTheBufferOnClose() {
        SseEventAssembler assembler = new SseEventAssembler(alloc, 1024);
        feed(assembler, recorder, utf8("data: sp"));
        feed(assembler, recorder, utf8("lit\n\ndata: partial"));
        assertThat(alloc.allocated).hasSize(1);
        assertThat(alloc.allocated.get(0).refCnt()).isOne();

        assembler.close();
        assembler.close();
        assertThat(recorder.data).containsExactly("split");
        assertThat(alloc.allocated.get(0).refCnt()).isZero();
    }

    @Test
    void readsOnlyReadableBytesAndLeavesTheChunkUntouched() {
        SseEventAssembler assembler = new SseEventAssembler(alloc, 1024);
        ByteBuf chunk = Unpooled.copiedBuffer("data: skipped\n\ndata: read\n\n", StandardCharsets.UTF_8);
        try {
            chunk.readerIndex("data: skipped\n\n".length());
            int readerIndex = chunk.readerIndex();
            assembler.feed(chunk, recorder);

            assertThat(recorder.data).containsExactly("read");
            assertThat(chunk.readerIndex()).isEqualTo(readerIndex);
            assertThat(chunk.refCnt()).isOne();
        } finally {
            chunk.release();
            assembler.close();
        }
    }

    @Test
    void refusesToBeFedAfterClose() {
        SseEventAssembler assembler = new SseEventAssembler(alloc, 1024);
        assembler.close();

        assertThatThrownBy(() -> feed(assembler, recorder, utf8("data: x\n\n")))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void joinsDataLinesAndRemovesOnlyOneSpace() {
        assertThat(data("data:  two spaces\ndata:none\ndata\n\n")).isEqualTo(" two spaces\nnone\n");
    }

    @Test
    void ignoresCommentsAndOtherFieldsWhenReadingData() {
        assertThat(data(":data: comment\ndatabase: x\nevent: data\nid: 7\ndata: real\n\n")).isEqualTo("real");
        assertThat(data("event: ping\nid: 3\n\n")).isNull();
        assertThat(data("data: cr only\rdata: crlf\r\n\r\n")).isEqualTo("cr only\ncrlf");
    }

    @Test
    void recognisesTheDoneSentinelOnly() {
        assertThat(SseEventAssembler.isDone("[DONE]")).isTrue();
        assertThat(SseEventAssembler.isDone(" [DONE]")).isFalse();
        assertThat(SseEventAssembler.isDone(null)).isFalse();
    }

    private static String data(String event) {
        ByteBuf buf = Unpooled.copiedBuffer(event, StandardCharsets.UTF_8);
        try {
            int readerIndex = buf.readerIndex();
            String data = SseEventAssembler.data(buf);
            assertThat(buf.readerIndex()).isEqualTo(readerIndex);
            return data;
        } finally {
            buf.release();
        }
    }

    private static void feed(SseEventAssembler assembler, Recorder sink, byte[] bytes) {
        feed(assembler, sink, bytes, 0, bytes.length);
    }

    private static void feed(SseEventAssembler assembler, Recorder sink, byte[] bytes, int from, int to) {
        ByteBuf chunk = Unpooled.copiedBuffer(bytes, from, to - from);
        try {
            assembler.feed(chunk, sink);
        } finally {
            chunk.release();
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Copies each event, since the buffer is only valid during the callback. */
    private static final class Recorder implements SseEventAssembler.EventSink {
        final List<byte[]> events = new ArrayList<>();
        final List<String> data = new ArrayList<>();
        int overflows;

        @Override
        public void onEvent(ByteBuf event) {
            events.add(ByteBufUtil.getBytes(event));
            data.add(SseEventAssembler.data(event));
        }

        @Override
        public void onOverflow() {
            overflows++;
        }

        List<String> texts() {
            return events.stream().map(bytes -> new String(bytes, StandardCharsets.UTF_8)).toList();
        }
    }

    /** Remembers every buffer it hands out, so a test can prove each was released. */
    private static final class TrackingAllocator extends AbstractByteBufAllocator {
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
