package dev.llmproxy.bench.exchange;

import dev.llmproxy.exchange.StreamMeter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * One streamed chat answer metered as the proxy meters it: a new {@link StreamMeter} per stream, {@value #EVENTS}
 * content events each in its own upstream chunk, then a usage event and {@code [DONE]}, then the usage read and the
 * meter closed. The score is streams per second; the per-event cost is the reading of each event's fields.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
public class StreamMeterBenchmark {
    static final int EVENTS = 64;
    private static final String EVENT = "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":"
            + "{\"content\":\" token\"},\"finish_reason\":null}]}\n\n";
    private static final String END = "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"choices\":[],"
            + "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":64,\"total_tokens\":76}}\n\ndata: [DONE]\n\n";

    private ByteBuf[] chunks;

    @Setup
    public void setUp() {
        chunks = new ByteBuf[EVENTS + 1];
        for (int i = 0; i < EVENTS; i++) {
            chunks[i] = direct(EVENT);
        }
        chunks[EVENTS] = direct(END);
    }

    private static ByteBuf direct(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return Unpooled.unreleasableBuffer(Unpooled.directBuffer(bytes.length).writeBytes(bytes));
    }

    @TearDown
    public void tearDown() {
        for (ByteBuf chunk : chunks) {
            chunk.unwrap().release();
        }
    }

    @Benchmark
    public void meterOneStream(Blackhole bh) {
        try (StreamMeter meter = new StreamMeter(false, System::nanoTime, 1 << 20)) {
            for (ByteBuf chunk : chunks) {
                bh.consume(meter.onChunk(chunk.duplicate(), PooledByteBufAllocator.DEFAULT));
            }
            bh.consume(meter.endOfStream());
            bh.consume(meter.doneSeen());
        }
    }
}
