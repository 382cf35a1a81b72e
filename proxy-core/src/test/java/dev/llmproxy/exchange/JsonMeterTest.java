package dev.llmproxy.exchange;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.TokenCounter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class JsonMeterTest {
    private static final TokenCounter counter = new TokenCounter();
    private static final String MODEL = "openai/gpt-4o-mini";
    private static final JsonNode MESSAGES = json("[{\"role\":\"user\",\"content\":\"Say hello in German.\"}]");
    private static final String ANSWER = "Grüße aus München – 世界 🚀";

    private static final String COMPLETION = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,"
            + "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
            + ANSWER + "\",\"refusal\":null},\"finish_reason\":\"stop\",\"usage\":{\"prompt_tokens\":99}}],"
            + "\"usage\":{\"prompt_tokens\":14,\"completion_tokens\":9,\"total_tokens\":23,"
            + "\"completion_tokens_details\":{\"reasoning_tokens\":0}},\"system_fingerprint\":\"fp\"}";

    @Test
    void readsTheUsageForEverySplitOffsetWithoutTouchingTheChunks() {
        byte[] body = utf8(COMPLETION);
        for (int split = 0; split <= body.length; split++) {
            JsonMeter meter = new JsonMeter(10_000);
            ByteBuf first = Unpooled.wrappedBuffer(body, 0, split);
            ByteBuf second = Unpooled.wrappedBuffer(body, split, body.length - split);
            meter.onChunk(first);
            meter.onChunk(second);
            assertThat(first.readerIndex()).isZero();
            assertThat(first.refCnt()).isEqualTo(1);
            assertThat(second.readableBytes()).isEqualTo(body.length - split);
            first.release();
            second.release();
            assertThat(meter.usage(counter, MODEL, MESSAGES)).as("split at %d", split)
                    .isEqualTo(new Usage(14, 9, false));
            meter.close();
        }
    }

    @Test
    void withoutUsageTheTokensAreEstimatedFromTheRequestAndTheAnswer() {
        for (String usage : new String[]{"", ",\"usage\":null", ",\"usage\":{\"prompt_tokens\":\"x\"}"}) {
            String body = "{\"id\":\"c\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
                    + ANSWER + "\"}}]" + usage + "}";
            JsonMeter meter = new JsonMeter(10_000);
            feedBytewise(meter, utf8(body));
            assertThat(meter.usage(counter, MODEL, MESSAGES)).as(usage).isEqualTo(
                    new Usage(counter.countChat(MESSAGES, MODEL), counter.count(ANSWER, MODEL), true));
            meter.close();
        }
    }

    @Test
    void theEstimateCountsToolCallsRefusalsAndLegacyText() {
        String body = "{\"choices\":[{\"message\":{\"content\":null,\"refusal\":\"No.\",\"tool_calls\":[{\"id\":\"c1\","
                + "\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]}},"
                + "{\"text\":\"hello world\"}]}";
        JsonMeter meter = new JsonMeter(10_000);
        feed(meter, utf8(body));
        long expected = counter.count("No.get_weather{\"city\":\"Paris\"}hello world", MODEL);
        assertThat(meter.usage(counter, MODEL, null)).isEqualTo(new Usage(0, expected, true));
        meter.close();
    }

    @Test
    void aLargeEmbeddingsResponseIsReadToItsUsageWithoutBeingKept() {
        StringBuilder body = new StringBuilder("{\"object\":\"list\",\"data\":[");
        for (int i = 0; i < 3_000; i++) {
            body.append(i == 0 ? "" : ",").append("{\"object\":\"embedding\",\"index\":").append(i).append(",\"embedding\":[");
            for (int d = 0; d < 128; d++) {
                body.append(d == 0 ? "" : ",").append("-0.0123456789");
            }
            body.append("]}");
        }
        body.append("],\"model\":\"text-embedding-3-small\",\"usage\":{\"prompt_tokens\":3000,\"total_tokens\":3000}}");
        byte[] bytes = utf8(body.toString());
        assertThat(bytes.length).isGreaterThan(5 * 1024 * 1024);

        JsonMeter meter = new JsonMeter(10_000);
        for (int at = 0; at < bytes.length; at += 8192) {
            ByteBuf chunk = Unpooled.wrappedBuffer(bytes, at, Math.min(8192, bytes.length - at));
            meter.onChunk(chunk);
            chunk.release();
        }
        assertThat(meter.usage(counter, "openai/text-embedding-3-small", json("[\"a\"]")))
                .isEqualTo(new Usage(3000, 0, false));
        meter.close();
    }

    @Test
    void aStringPastTheBoundStopsTheParseAndTheRestIsEstimatedByLength() {
        String huge = "x".repeat(5_000);
        String body = "{\"choices\":[{\"message\":{\"content\":\"" + huge + "\"}}],"
                + "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}";
        byte[] bytes = utf8(body);
        JsonMeter meter = new JsonMeter(10_000, 1_000);
        long afterStop = 0;
        boolean stopped = false;
        for (int at = 0; at < bytes.length; at += 512) {
            int length = Math.min(512, bytes.length - at);
            ByteBuf chunk = Unpooled.wrappedBuffer(bytes, at, length);
            meter.onChunk(chunk);
            chunk.release();
            if (at + length > 40 + 1_000) {
                stopped = true;
            }
            if (stopped) {
                afterStop += length;
            }
        }
        Usage usage = meter.usage(counter, MODEL, MESSAGES);
        assertThat(usage.estimated()).isTrue();
        assertThat(usage.promptTokens()).isEqualTo(counter.countChat(MESSAGES, MODEL));
        assertThat(usage.completionTokens()).isBetween((afterStop - 512) / 4, (afterStop + 512) / 4 + 1);
        meter.close();
    }

    @Test
    void aBodyThatIsNotJsonIsEstimatedNeverAnError() {
        JsonMeter meter = new JsonMeter(10_000);
        feed(meter, utf8("<html><body>Bad gateway</body></html>"));
        feed(meter, utf8("more"));
        assertThat(meter.usage(counter, MODEL, MESSAGES))
                .isEqualTo(new Usage(counter.countChat(MESSAGES, MODEL), 0, true));
        meter.close();

        JsonMeter cut = new JsonMeter(10_000);
        feed(cut, utf8("{\"choices\":[{\"message\":{\"content\":\"hello world\"}}],\"usa"));
        assertThat(cut.usage(counter, MODEL, null)).isEqualTo(new Usage(0, 2, true));
        cut.close();

        JsonMeter empty = new JsonMeter(10_000);
        assertThat(empty.usage(counter, MODEL, null)).isEqualTo(new Usage(0, 0, true));
        empty.close();
        empty.close();
    }

    @Test
    void readsAChunkMadeOfSeveralBuffers() {
        byte[] body = utf8(COMPLETION);
        CompositeByteBuf chunk = Unpooled.compositeBuffer();
        int third = body.length / 3;
        chunk.addComponent(true, Unpooled.wrappedBuffer(body, 0, third));
        chunk.addComponent(true, Unpooled.wrappedBuffer(body, third, third));
        chunk.addComponent(true, Unpooled.wrappedBuffer(body, 2 * third, body.length - 2 * third));
        JsonMeter meter = new JsonMeter(10_000);
        meter.onChunk(chunk);
        chunk.release();
        assertThat(meter.usage(counter, MODEL, MESSAGES)).isEqualTo(new Usage(14, 9, false));
        meter.close();
    }

    private static void feed(JsonMeter meter, byte[] body) {
        ByteBuf chunk = Unpooled.wrappedBuffer(body);
        meter.onChunk(chunk);
        chunk.release();
    }

    private static void feedBytewise(JsonMeter meter, byte[] body) {
        for (int i = 0; i < body.length; i++) {
            ByteBuf one = Unpooled.wrappedBuffer(body, i, 1);
            meter.onChunk(one);
            one.release();
        }
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
}
