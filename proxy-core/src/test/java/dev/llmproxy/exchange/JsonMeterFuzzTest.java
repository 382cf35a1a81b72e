package dev.llmproxy.exchange;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.llmproxy.openai.TokenCounter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the usage scanning of non-stream responses ({@link JsonMeter}) with any body cut at any offsets: it never
 * throws, never moves a chunk's indexes or touches its reference count, and reads the same usage whatever the cut
 * (an estimate past an over-long string counts bytes from the chunk where the parse stopped, so only that differs).
 * Control byte: the chunking, and (bit 7) a small string bound so the over-long-string path is reached too.
 */
class JsonMeterFuzzTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    private static final TokenCounter COUNTER = new TokenCounter();
    private static final String MODEL = "gpt-4o";

    @FuzzTest(maxDuration = "10m")
    void readsTheSameUsageWhateverTheChunking(byte[] input) {
        SseFuzzInput in = SseFuzzInput.of(input);
        int maxString = (in.control & 0x80) != 0 ? 16 : JsonMeter.MAX_STRING_CHARS;

        Usage whole = meter(in.stream, new int[] {in.stream.length}, maxString);
        Usage split = meter(in.stream, in.chunkLengths(), maxString);

        if (maxString == JsonMeter.MAX_STRING_CHARS || !whole.estimated()) {
            assertThat(split).isEqualTo(whole);
        } else {
            // past an over-long string only bytes are counted, and where the count starts depends on the cut
            assertThat(split.estimated()).isTrue();
            assertThat(split.promptTokens()).isEqualTo(whole.promptTokens());
        }
        assertThat(whole.promptTokens()).isNotNegative();
        assertThat(whole.completionTokens()).isNotNegative();
    }

    private static Usage meter(byte[] body, int[] chunkLengths, int maxString) {
        try (JsonMeter meter = new JsonMeter(4096, maxString)) {
            int from = 0;
            for (int length : chunkLengths) {
                ByteBuf chunk = SseFuzzInput.chunk(ALLOC, body, from, length, length & 1);
                try {
                    int reader = chunk.readerIndex();
                    meter.onChunk(chunk);
                    assertThat(chunk.readerIndex()).isEqualTo(reader);
                    assertThat(chunk.writerIndex()).isEqualTo(reader + length);
                    assertThat(chunk.refCnt()).isEqualTo(1);
                } finally {
                    chunk.release();
                }
                from += length;
            }
            Usage usage = meter.usage(COUNTER, MODEL, null);
            assertThat(meter.usage(COUNTER, MODEL, null)).isEqualTo(usage);
            return usage;
        }
    }
}
