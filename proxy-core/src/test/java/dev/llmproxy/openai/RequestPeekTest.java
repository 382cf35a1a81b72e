package dev.llmproxy.openai;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class RequestPeekTest {

    private static RequestPeek peek(String json) {
        return RequestPeek.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
    }

    private static String at(String json, int start, int end) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        return new String(bytes, start, end - start, StandardCharsets.UTF_8);
    }

    @Test
    void readsTheTopLevelFieldsAndWhereTheyLie() {
        String json = " {\"messages\":[{\"role\":\"user\",\"content\":\"h\u00e9\"}] , \"model\" : \"gpt-4o\","
                + "\"stream\":true,\"max_tokens\":16,\"temperature\":0.7}";
        RequestPeek p = peek(json);
        assertThat(p.model()).isEqualTo("gpt-4o");
        assertThat(at(json, p.modelStart, p.modelEnd)).isEqualTo("\"gpt-4o\"");
        assertThat(p.stream()).isTrue();
        assertThat(p.streamValid()).isTrue();
        assertThat(p.messagesArray()).isTrue();
        assertThat(p.messagesAllObjects()).isTrue();
        assertThat(at(json, p.messagesStart(), p.messagesEnd())).isEqualTo("[{\"role\":\"user\",\"content\":\"h\u00e9\"}]");
        assertThat(p.hasInput()).isFalse();
        assertThat(p.outputCap()).isEqualTo(16);
        assertThat(p.usageEdit()).isEqualTo(RequestPeek.UsageEdit.ADD_OPTIONS);
        assertThat(at(json, p.rootClose, p.rootClose + 1)).isEqualTo("}");
    }

    @Test
    void aKeyGivenTwiceCountsByItsLastOccurrenceAsInTheTree() {
        String json = "{\"model\":\"first\",\"messages\":\"no\",\"model\":\"last\",\"messages\":[1],\"stream\":\"x\","
                + "\"stream\":false}";
        RequestPeek p = peek(json);
        assertThat(p.model()).isEqualTo("last");
        assertThat(at(json, p.modelStart, p.modelEnd)).isEqualTo("\"last\"");
        assertThat(p.messagesArray()).isTrue();
        assertThat(p.messagesAllObjects()).isFalse();
        assertThat(p.streamValid()).isTrue();
        assertThat(peek("{\"model\":\"m\",\"model\":1}").model()).isNull();
    }

    @Test
    void findsWhatSettingIncludeUsageTakes() {
        assertThat(peek("{\"model\":\"m\"}").usageEdit()).isEqualTo(RequestPeek.UsageEdit.ADD_OPTIONS);
        String nullOptions = "{\"stream_options\": null ,\"model\":\"m\"}";
        RequestPeek p = peek(nullOptions);
        assertThat(p.usageEdit()).isEqualTo(RequestPeek.UsageEdit.REPLACE_OPTIONS);
        assertThat(at(nullOptions, p.usageStart, p.usageEnd)).isEqualTo("null");
        String falseUsage = "{\"stream_options\":{\"x\":[1],\"include_usage\":false}}";
        p = peek(falseUsage);
        assertThat(p.usageEdit()).isEqualTo(RequestPeek.UsageEdit.REPLACE_MEMBER);
        assertThat(at(falseUsage, p.usageStart, p.usageEnd)).isEqualTo("false");
        String noUsage = "{\"stream_options\":{\"x\":1 }}";
        p = peek(noUsage);
        assertThat(p.usageEdit()).isEqualTo(RequestPeek.UsageEdit.ADD_MEMBER);
        assertThat(at(noUsage, p.usageStart, p.usageStart + 2)).isEqualTo("}}");
        assertThat(peek("{\"stream_options\":{\"include_usage\":true}}").usageEdit())
                .isEqualTo(RequestPeek.UsageEdit.NONE);
        assertThat(peek("{\"stream_options\":{\"include_usage\":\"yes\"}}").usageEdit())
                .isEqualTo(RequestPeek.UsageEdit.NONE);
        assertThat(peek("{\"stream_options\":[]}").usageEdit()).isEqualTo(RequestPeek.UsageEdit.NONE);
    }

    @Test
    void readsOutputCapsAsTheTreeConvertsThem() {
        assertThat(peek("{\"max_completion_tokens\":\"9\",\"max_tokens\":7}").outputCap()).isEqualTo(7);
        assertThat(peek("{\"max_tokens\":7.9}").outputCap()).isEqualTo(7);
        assertThat(peek("{\"max_tokens\":-3,\"max_output_tokens\":9}").outputCap()).isZero();
        assertThat(peek("{\"max_tokens\":99999999999999999999,\"max_output_tokens\":9}").outputCap()).isEqualTo(9);
        assertThat(peek("{\"max_tokens\":5,\"max_tokens\":null}").outputCap()).isZero();
    }

    @Test
    void leavesToTheTreeWhatItDoesNotRead() {
        assertThat(peek("")).isNull();
        assertThat(peek("[]")).isNull();
        assertThat(peek("{\"model\":\"m\"} x")).isNull();
        assertThat(peek("{\"model\":\"m\"} {}")).isNull();
        assertThat(peek("{\"model\":\"m\",\"t\":1e99999999999}")).isNull();
        assertThat(peek("{\"model\":\"m\",\"t\":\"\\q\"}")).isNull();
        assertThat(peek("{\"model\":\"m\",\"t\":\"\u0001\"}")).isNull();
        byte[] utf16 = "{\"model\":\"m\"}".getBytes(StandardCharsets.UTF_16BE);
        assertThat(RequestPeek.read(new ByteArrayInputStream(utf16))).isNull();
        assertThat(peek("{\"model\":\"m\",\"t\":1e99}")).isNotNull();
    }

    @Test
    void offsetsCountAUtf8ByteOrderMark() {
        String json = "\ufeff{\"model\":\"m\"}";
        RequestPeek p = peek(json);
        assertThat(at(json, p.modelStart, p.modelEnd)).isEqualTo("\"m\"");
    }
}
