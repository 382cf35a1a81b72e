package dev.llmproxy.exchange;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class SseTailTest {

    private static String afterFeeding(String... chunks) {
        SseTail tail = new SseTail();
        for (String c : chunks) {
            ByteBuf buf = Unpooled.copiedBuffer(c, StandardCharsets.UTF_8);
            tail.update(buf);
            buf.release();
        }
        return new String(tail.terminator(), StandardCharsets.US_ASCII);
    }

    @Test
    void nothingNeededAtAnEventBoundary() {
        assertThat(afterFeeding()).isEmpty();
        assertThat(afterFeeding("data: a\n\n")).isEmpty();
        assertThat(afterFeeding("data: a\r\n\r\n")).isEmpty();
        assertThat(afterFeeding("data: a\r\r")).isEmpty();
    }

    @Test
    void completesAPartialLineOrEvent() {
        assertThat(afterFeeding("data: {\"choi")).isEqualTo("\n\n");
        assertThat(afterFeeding("data: a\n")).isEqualTo("\n");
        assertThat(afterFeeding("data: a\r\n")).isEqualTo("\n");
    }

    @Test
    void lineEndsSplitAcrossChunksCount() {
        assertThat(afterFeeding("data: a\n", "\n")).isEmpty();
        assertThat(afterFeeding("data: a", "\n")).isEqualTo("\n");
        assertThat(afterFeeding("data: a\n\n", "data: b")).isEqualTo("\n\n");
    }
}
