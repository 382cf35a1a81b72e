package dev.llmproxy.exchange;

import dev.llmproxy.openai.Json;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which upstream answers get suggestions: only a JSON 400/404 with a known, small length is held; the rest pass
 * through unbuffered, and a held body that is not about an unknown model goes on byte for byte.
 */
class SuggestingConverterTest {
    private static final SuggestingConverter CONVERTER =
            new SuggestingConverter(ResponseConverter.NONE, () -> List.of("openai/gpt-4o-mini"));

    private static HttpResponse head(int status, Long length) {
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        if (length != null) {
            head.headers().set(HttpHeaderNames.CONTENT_LENGTH, length);
        }
        return head;
    }

    private static String convert(BodyConverter converter, String body) {
        List<ByteBuf> out = new ArrayList<>();
        ByteBuf chunk = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        try {
            converter.onContent(chunk, ByteBufAllocator.DEFAULT, out::add);
            converter.finish(ByteBufAllocator.DEFAULT, out::add);
        } finally {
            chunk.release();
            converter.close();
        }
        StringBuilder text = new StringBuilder();
        for (ByteBuf b : out) {
            text.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return text.toString();
    }

    @Test
    void anUnknownModelAnswerGetsSuggestions() throws Exception {
        String body = "{\"error\":{\"code\":\"unknown_model\",\"message\":\"Unknown model: x\"}}";
        BodyConverter held = CONVERTER.forResponse(head(404, (long) body.length()));
        assertThat(held).isNotNull();
        assertThat(Json.MAPPER.readTree(convert(held, body)).path("suggestions").get(0).asText())
                .isEqualTo("openai/gpt-4o-mini");
    }

    @Test
    void otherErrorsPassUnchanged() {
        String body = "{\"error\":{\"code\":\"invalid_value\",\"message\":\"temperature too high\"}}";
        assertThat(convert(CONVERTER.forResponse(head(400, (long) body.length())), body)).isEqualTo(body);
    }

    @Test
    void chunkedOversizedAndSuccessfulBodiesAreNeverHeld() {
        assertThat(CONVERTER.forResponse(head(404, null))).as("chunked").isNull();
        assertThat(CONVERTER.forResponse(head(404, (long) SuggestingConverter.MAX_BYTES + 1))).isNull();
        assertThat(CONVERTER.forResponse(head(200, 10L))).isNull();
        assertThat(CONVERTER.forResponse(head(500, 10L))).isNull();
    }
}
