package dev.llmproxy.openai;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class BodySpliceTest {

    private static String splice(String json, String model, boolean usage) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        RequestPeek peek = RequestPeek.read(new ByteArrayInputStream(bytes));
        // the client's body arrives in parts, after other bytes in its first buffer
        ByteBuf first = Unpooled.copiedBuffer("xx".getBytes(StandardCharsets.US_ASCII), bytes);
        first.readerIndex(2);
        CompositeByteBuf client = Unpooled.compositeBuffer();
        client.addComponent(true, first.retainedSlice(2, Math.min(5, bytes.length)));
        client.addComponent(true, first.retainedSlice(2 + Math.min(5, bytes.length), bytes.length - Math.min(5, bytes.length)));
        first.release();
        ByteBuf out = BodySplice.splice(client, peek, model, usage);
        try {
            return out.toString(StandardCharsets.UTF_8);
        } finally {
            out.release();
            client.release();
            assertThat(client.refCnt()).isZero();
        }
    }

    @Test
    void replacesOnlyTheModelBytes() {
        assertThat(splice("{ \"model\" : \"gpt-4o\" ,\"messages\":[]}", "openai/gpt-4o", false))
                .isEqualTo("{ \"model\" : \"openai/gpt-4o\" ,\"messages\":[]}");
        assertThat(splice("{\"model\":\"a\",\"model\":\"b\"}", "c\"\u00e9\n", false))
                .isEqualTo("{\"model\":\"a\",\"model\":\"c\\\"\u00e9\\n\"}");
    }

    @Test
    void setsIncludeUsageWhereverTheClientLeftItOut() {
        assertThat(splice("{\"model\":\"m\",\"stream\":true }", null, true))
                .isEqualTo("{\"model\":\"m\",\"stream\":true ,\"stream_options\":{\"include_usage\":true}}");
        assertThat(splice("{\"stream_options\":null,\"model\":\"m\"}", null, true))
                .isEqualTo("{\"stream_options\":{\"include_usage\":true},\"model\":\"m\"}");
        assertThat(splice("{\"stream_options\":{ },\"model\":\"m\"}", null, true))
                .isEqualTo("{\"stream_options\":{ \"include_usage\":true},\"model\":\"m\"}");
        assertThat(splice("{\"stream_options\":{\"x\":1},\"model\":\"m\"}", null, true))
                .isEqualTo("{\"stream_options\":{\"x\":1,\"include_usage\":true},\"model\":\"m\"}");
        assertThat(splice("{\"stream_options\":{\"include_usage\":false,\"x\":1},\"model\":\"m\"}", null, true))
                .isEqualTo("{\"stream_options\":{\"include_usage\":true,\"x\":1},\"model\":\"m\"}");
    }

    @Test
    void appliesBothEditsInEitherOrder() {
        assertThat(splice("{\"stream_options\":null,\"model\":\"m\"}", "n", true))
                .isEqualTo("{\"stream_options\":{\"include_usage\":true},\"model\":\"n\"}");
        assertThat(splice("{\"model\":\"m\",\"stream_options\":{}}", "n", true))
                .isEqualTo("{\"model\":\"n\",\"stream_options\":{\"include_usage\":true}}");
        assertThat(splice("{\"model\":\"m\"}", "n", true))
                .isEqualTo("{\"model\":\"n\",\"stream_options\":{\"include_usage\":true}}");
    }

    @Test
    void noEditIsTheClientsBuffer() {
        assertThat(splice("{\"model\":\"m\",\"stream_options\":{\"include_usage\":true}}", null, true))
                .isEqualTo("{\"model\":\"m\",\"stream_options\":{\"include_usage\":true}}");
        assertThat(splice("{\"model\":\"m\"}", null, false)).isEqualTo("{\"model\":\"m\"}");
    }
}
