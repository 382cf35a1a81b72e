package dev.llmproxy.exchange;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.llmproxy.openai.TokenCounter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the usage scanning of streamed responses ({@link StreamMeter}) with any upstream body cut at any offsets:
 * it never throws; without stripping the client gets the very chunks the upstream sent; with stripping it gets the
 * upstream's bytes, or those bytes minus exactly one whole event; usage, TTFT, {@code [DONE]} and error flags and
 * the bytes forwarded are the same whatever the cut. Control byte: the chunking (all bits), stripping (bit 6) and a
 * small event bound (bit 7) so the pass-through after an oversized event is reached too.
 */
class StreamMeterFuzzTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    private static final TokenCounter COUNTER = new TokenCounter();
    private static final String MODEL = "gpt-4o";

    @FuzzTest(maxDuration = "10m")
    void forwardsTheUpstreamBytesAndMetersThemWhateverTheChunking(byte[] input) {
        SseFuzzInput in = SseFuzzInput.of(input);
        boolean strip = (in.control & 0x40) != 0;
        int bound = (in.control & 0x80) != 0 ? 32 : StreamMeter.MAX_EVENT_BYTES;

        Run whole = run(in.stream, new int[] {in.stream.length}, strip, bound);
        Run split = run(in.stream, in.chunkLengths(), strip, bound);

        assertThat(split.forwarded).isEqualTo(whole.forwarded);
        assertThat(split.usage).isEqualTo(whole.usage);
        assertThat(split.flags).isEqualTo(whole.flags);
        assertThat(whole.usage.promptTokens()).isNotNegative();
        assertThat(whole.usage.completionTokens()).isNotNegative();
        if (!whole.stripped) {
            assertThat(whole.forwarded).isEqualTo(in.stream);
        } else {
            assertThat(strip).isTrue();
            assertThat(oneEventRemoved(in.stream, whole.forwarded)).as("forwarded = upstream minus one whole event")
                    .isTrue();
        }
    }

    private record Run(byte[] forwarded, Usage usage, List<Boolean> flags, boolean stripped) {
    }

    private static Run run(byte[] stream, int[] chunkLengths, boolean strip, int bound) {
        long[] clock = {0};
        ByteArrayOutputStream forwarded = new ByteArrayOutputStream();
        try (StreamMeter meter = new StreamMeter(strip, () -> ++clock[0], 4096, bound)) {
            int from = 0;
            for (int length : chunkLengths) {
                ByteBuf chunk = SseFuzzInput.chunk(ALLOC, stream, from, length, 0);
                ByteBuf out = meter.onChunk(chunk, ALLOC);
                try {
                    if (!strip) {
                        assertThat(out).isSameAs(chunk);
                    }
                    forwarded.writeBytes(ByteBufUtil.getBytes(out));
                } finally {
                    out.release();
                }
                from += length;
            }
            ByteBuf tail = meter.endOfStream();
            try {
                forwarded.writeBytes(ByteBufUtil.getBytes(tail));
            } finally {
                tail.release();
            }
            assertThat(meter.endOfStream().isReadable()).isFalse();
            Usage usage = meter.usage(COUNTER, MODEL, null);
            List<Boolean> flags = List.of(meter.errorSeen(), meter.doneSeen(), meter.usageStripped(),
                    meter.firstTokenNanos() >= 0);
            return new Run(forwarded.toByteArray(), usage, flags, meter.usageStripped());
        }
    }

    /** Whether {@code forwarded} is {@code stream} without one of the events a plain reading of it finds. */
    private static boolean oneEventRemoved(byte[] stream, byte[] forwarded) {
        SseFuzzInput.Framing framing = SseFuzzInput.frame(stream);
        List<byte[]> events = framing.events();
        for (int i = 0; i < events.size(); i++) {
            List<byte[]> without = new ArrayList<>(events);
            without.remove(i);
            if (Arrays.equals(SseFuzzInput.concat(without, framing.rest()), forwarded)) {
                return true;
            }
        }
        return false;
    }
}
