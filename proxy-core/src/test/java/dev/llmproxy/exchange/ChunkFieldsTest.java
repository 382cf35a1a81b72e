package dev.llmproxy.exchange;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The chunk reader reads exactly what the meter needs from an event's bytes, and skips the rest whatever its shape. */
class ChunkFieldsTest {
    private final ChunkFields fields = new ChunkFields();

    private boolean read(String json) {
        byte[] bytes = ("##" + json + "##").getBytes(StandardCharsets.UTF_8);
        return fields.read(bytes, 2, bytes.length - 4); // an offset into a larger array, as a pooled buffer's is
    }

    @Test
    void readsTheGeneratedTextOfEveryKindInOrder() {
        assertThat(read("{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Grüße \\u00e9\","
                + "\"reasoning_content\":\"why\",\"refusal\":null}},{\"text\":\"legacy\",\"logprobs\":{\"x\":[1,2]}}],"
                + "\"usage\":null}")).isTrue();
        assertThat(fields.choices).isEqualTo(2);
        assertThat(fields.texts).containsExactly("Grüße é", "why", "legacy");
        assertThat(fields.generated).isTrue();
        assertThat(fields.usage).isNull();
        assertThat(fields.error).isFalse();
    }

    @Test
    void aToolCallCountsAsGeneratedAndItsNameAndArgumentsAreKept() {
        assertThat(read("{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"t\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get\",\"arguments\":\"{\\\"a\\\":1}\"}}]}}]}")).isTrue();
        assertThat(fields.generated).isTrue();
        assertThat(fields.texts).containsExactly("get", "{\"a\":1}");
        assertThat(fields.type).as("a nested type is not the event's").isNull();
    }

    @Test
    void anEmptyDeltaGeneratesNothing() {
        assertThat(read("{\"choices\":[{\"delta\":{\"content\":\"\"},\"finish_reason\":\"stop\"}]}")).isTrue();
        assertThat(fields.choices).isEqualTo(1);
        assertThat(fields.generated).isFalse();
        assertThat(fields.texts).isEmpty();
    }

    @Test
    void readsTheUsageOfAUsageOnlyEventWhateverTheFieldOrder() {
        assertThat(read("{\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":9},\"choices\":[],\"id\":\"c\"}")).isTrue();
        assertThat(fields.choices).isZero();
        assertThat(fields.usage.get("prompt_tokens").asInt()).isEqualTo(12);
        assertThat(read("{\"choices\":null,\"usage\":{\"prompt_tokens\":1}}")).isTrue();
        assertThat(fields.choices).isEqualTo(ChunkFields.NO_CHOICES);
        assertThat(read("{\"choices\":{},\"usage\":{\"prompt_tokens\":1}}")).isTrue();
        assertThat(fields.choices).isEqualTo(ChunkFields.NOT_AN_ARRAY);
    }

    @Test
    void anErrorIsSeenAndItsOwnFieldsAreNotTakenForTheEvents() {
        assertThat(read("{\"error\":{\"message\":\"boom\",\"type\":\"server_error\",\"usage\":1}}")).isTrue();
        assertThat(fields.error).isTrue();
        assertThat(fields.type).isNull();
        assertThat(fields.usage).isNull();
        assertThat(read("{\"error\":null,\"choices\":[]}")).isTrue();
        assertThat(fields.error).isFalse();
    }

    @Test
    void aTextualTypeMarksAResponsesEvent() {
        assertThat(read("{\"type\":\"response.output_text.delta\",\"delta\":\"x\"}")).isTrue();
        assertThat(fields.type).isEqualTo("response.output_text.delta");
        assertThat(fields.delta).isEqualTo("x");
        assertThat(read("{\"type\":3,\"choices\":[]}")).isTrue();
        assertThat(fields.type).isNull();
        assertThat(fields.delta).as("reset for each event").isNull();
    }

    @Test
    void aResponsesEventsUsageIsReadFromItsResponseAndNothingElseOfIt() {
        assertThat(read("{\"type\":\"response.completed\",\"response\":{\"id\":\"r1\",\"output\":[{\"usage\":1}],"
                + "\"usage\":{\"input_tokens\":5,\"output_tokens\":2}},\"sequence_number\":3}")).isTrue();
        assertThat(fields.responseUsage.path("input_tokens").asInt()).isEqualTo(5);
        assertThat(fields.usage).as("no top-level usage").isNull();
        assertThat(read("{\"type\":\"response.created\",\"response\":{\"usage\":null}}")).isTrue();
        assertThat(fields.responseUsage).isNull();
        assertThat(read("{\"type\":\"response.created\",\"response\":\"odd\",\"delta\":{\"a\":1}}")).isTrue();
        assertThat(fields.responseUsage).isNull();
        assertThat(fields.delta).as("a delta that is not text").isNull();
    }

    @Test
    void anythingButOneJsonObjectIsNotRead() {
        assertThat(read("{not json")).isFalse();
        assertThat(read("[1,2]")).isFalse();
        assertThat(read("\"text\"")).isFalse();
        assertThat(read("{\"choices\":[]} {\"x\":1}")).as("trailing content").isFalse();
        assertThat(read("{\"choices\":[{\"delta\":{\"content\":\"x\"}}]")).as("cut short").isFalse();
        assertThat(read("")).isFalse();
    }

    @Test
    void eachReadStartsAfresh() {
        read("{\"error\":{},\"usage\":{\"a\":1},\"type\":\"t\",\"choices\":[{\"text\":\"x\"}]}");
        assertThat(read("{}")).isTrue();
        assertThat(fields.error).isFalse();
        assertThat(fields.usage).isNull();
        assertThat(fields.type).isNull();
        assertThat(fields.choices).isEqualTo(ChunkFields.NO_CHOICES);
        assertThat(fields.texts).isEmpty();
        assertThat(fields.generated).isFalse();
    }

    @Test
    void aBrokenEventInTheMiddleOfAStreamDoesNotSpoilTheEventsAfterIt() {
        String chunk = "{\"choices\":[{\"delta\":{\"content\":\"t%d\"}}]}";
        for (int i = 0; i < 100; i++) {
            assertThat(read(String.format(chunk, i))).isTrue();
            assertThat(fields.texts).containsExactly("t" + i);
        }
        for (String broken : new String[] {"{\"choices\":[{\"delta\":{\"content\":\"cut", "{\"a\":1}}", "}", "12",
                "{\"usage\":{\"prompt_tokens\":", "{\"a\":1} {\"b\":2}"}) {
            assertThat(read(broken)).as(broken).isFalse();
            assertThat(read("{\"usage\":{\"prompt_tokens\":7},\"choices\":[]}")).as("after " + broken).isTrue();
            assertThat(fields.usage.get("prompt_tokens").asInt()).isEqualTo(7);
            assertThat(read(String.format(chunk, 1))).isTrue();
            assertThat(fields.texts).containsExactly("t1");
        }
        fields.close();
        assertThat(read(String.format(chunk, 2))).as("a read after close starts a new parser").isTrue();
    }
}
