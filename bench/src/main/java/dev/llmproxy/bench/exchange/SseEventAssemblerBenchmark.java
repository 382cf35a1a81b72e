package dev.llmproxy.bench.exchange;

import dev.llmproxy.exchange.SseEventAssembler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * {@link SseEventAssembler#feed} over one upstream chunk carrying chat-completion events, as the proxy runs it on
 * every streamed chunk (to meter usage and spot errors while the bytes pass through): {@code whole} has each event
 * inside the chunk (events handed over as slices, no copy), {@code split} cuts the same bytes into 7-byte pieces, so
 * every event spans pieces and is gathered — the worst case of an upstream that flushes mid-event. The score is
 * chunks of {@value #EVENTS} events per second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
public class SseEventAssemblerBenchmark {
    static final int EVENTS = 16;
    private static final String EVENT = "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1700000000,\"model\":\"openai/gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":"
            + "{\"content\":\" token\"},\"finish_reason\":null}]}\n\n";

    @Param({"whole", "split"})
    public String framing;

    private ByteBuf[] pieces;
    private SseEventAssembler assembler;

    @Setup
    public void setUp() {
        byte[] bytes = EVENT.repeat(EVENTS).getBytes(StandardCharsets.UTF_8);
        int size = framing.equals("whole") ? bytes.length : 7;
        int count = (bytes.length + size - 1) / size;
        pieces = new ByteBuf[count];
        for (int i = 0; i < count; i++) {
            int from = i * size;
            pieces[i] = Unpooled.unreleasableBuffer(Unpooled.directBuffer(size)
                    .writeBytes(bytes, from, Math.min(size, bytes.length - from)));
        }
        assembler = new SseEventAssembler(PooledByteBufAllocator.DEFAULT, 1024 * 1024);
    }

    @TearDown
    public void tearDown() {
        assembler.close();
    }

    @Benchmark
    public void feed(Blackhole sink) {
        SseEventAssembler.EventSink events = event -> sink.consume(event.readableBytes());
        for (ByteBuf piece : pieces) {
            assembler.feed(piece, events);
        }
    }
}
