package dev.llmproxy.exchange;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes {@link SseEventAssembler} with any byte stream cut into chunks at any offsets: every byte lands in exactly
 * one event, in order, exactly as a plain reading of the SSE framing finds them; the cut never changes what comes
 * out; an event over the bound is reported once and dropped; {@link SseEventAssembler#data} reads what the spec
 * says. Every chunk is a tracked buffer released after its feed, so a buffer the assembler keeps or frees wrongly
 * fails the class (paranoid leak detection). An input is a control byte (the chunking) and the stream.
 */
class SseEventAssemblerFuzzTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    private static final int UNBOUNDED = 1 << 20;
    private static final int SMALL_BOUND = 24;

    @FuzzTest(maxDuration = "10m")
    void framesEveryByteOnceWhateverTheChunking(byte[] input) {
        SseFuzzInput in = SseFuzzInput.of(input);
        SseFuzzInput.Framing reference = SseFuzzInput.frame(in.stream);

        Run whole = run(in.stream, new int[] {in.stream.length}, UNBOUNDED);
        Run split = run(in.stream, in.chunkLengths(), UNBOUNDED);

        assertThat(whole.events).usingElementComparator(java.util.Arrays::compare)
                .containsExactlyElementsOf(reference.events());
        assertThat(split.events).usingElementComparator(java.util.Arrays::compare)
                .containsExactlyElementsOf(reference.events());
        assertThat(split.data).isEqualTo(whole.data);
        for (int i = 0; i < reference.events().size(); i++) {
            assertThat(whole.data.get(i)).isEqualTo(SseFuzzInput.data(reference.events().get(i)));
        }
        assertThat(whole.partial).isEqualTo(reference.rest().length > 0);
        assertThat(split.partial).isEqualTo(whole.partial);
        assertThat(whole.overflows).isZero();
        assertThat(split.overflows).isZero();
    }

    @FuzzTest(maxDuration = "10m")
    void dropsEachEventOverTheBoundAndKeepsTheRest(byte[] input) {
        SseFuzzInput in = SseFuzzInput.of(input);
        SseFuzzInput.Framing reference = SseFuzzInput.frame(in.stream);
        List<byte[]> fitting = new ArrayList<>();
        int oversized = 0;
        for (byte[] event : reference.events()) {
            if (event.length <= SMALL_BOUND) {
                fitting.add(event);
            } else {
                oversized++;
            }
        }
        if (reference.rest().length > SMALL_BOUND) {
            oversized++;
        }

        Run whole = run(in.stream, new int[] {in.stream.length}, SMALL_BOUND);
        Run split = run(in.stream, in.chunkLengths(), SMALL_BOUND);

        for (Run run : List.of(whole, split)) {
            assertThat(run.events).usingElementComparator(java.util.Arrays::compare).containsExactlyElementsOf(fitting);
            assertThat(run.overflows).isEqualTo(oversized);
        }
    }

    private record Run(List<byte[]> events, List<String> data, int overflows, boolean partial) {
    }

    private static Run run(byte[] stream, int[] chunkLengths, int bound) {
        List<byte[]> events = new ArrayList<>();
        List<String> data = new ArrayList<>();
        int[] overflows = {0};
        SseEventAssembler.EventSink sink = new SseEventAssembler.EventSink() {
            @Override
            public void onEvent(ByteBuf event) {
                assertThat(event.refCnt()).isPositive();
                assertThat(event.readableBytes()).isBetween(1, bound);
                int reader = event.readerIndex();
                events.add(ByteBufUtil.getBytes(event));
                data.add(SseEventAssembler.data(event));
                assertThat(event.readerIndex()).isEqualTo(reader);
            }

            @Override
            public void onOverflow() {
                overflows[0]++;
            }
        };
        SseEventAssembler assembler = new SseEventAssembler(ALLOC, bound);
        try {
            int from = 0;
            for (int length : chunkLengths) {
                ByteBuf chunk = SseFuzzInput.chunk(ALLOC, stream, from, length, length & 3);
                try {
                    int reader = chunk.readerIndex();
                    int writer = chunk.writerIndex();
                    assembler.feed(chunk, sink);
                    assertThat(chunk.readerIndex()).isEqualTo(reader);
                    assertThat(chunk.writerIndex()).isEqualTo(writer);
                    assertThat(chunk.refCnt()).isEqualTo(1);
                } finally {
                    chunk.release();
                }
                from += length;
            }
            assembler.endOfStream(sink);
            return new Run(events, data, overflows[0], assembler.hasPartialEvent());
        } finally {
            assembler.close();
            assembler.close();
        }
    }
}
