package dev.llmproxy.bench.load;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SseEventParserTest {
    private static final String BODY = ": comment\n"
            + "data: {\"delta\":{\"content\":\"Hé\"}}\n\n"
            + "event: x\r\ndata:two\r\ndata: lines\r\n\r\n"
            + "id: 7\n\n"
            + "data: [DONE]\r\r";

    @Test
    void parsesEventsWhateverTheChunkBoundaries() {
        byte[] bytes = BODY.getBytes(StandardCharsets.UTF_8);
        List<String> expected = List.of("{\"delta\":{\"content\":\"Hé\"}}", "two\nlines", "[DONE]");
        for (int cut1 = 0; cut1 <= bytes.length; cut1++) {
            for (int cut2 = cut1; cut2 <= bytes.length; cut2 += 3) {
                List<String> events = new ArrayList<>();
                SseEventParser parser = new SseEventParser(events::add);
                parser.feed(Arrays.copyOfRange(bytes, 0, cut1));
                parser.feed(Arrays.copyOfRange(bytes, cut1, cut2));
                parser.feed(Arrays.copyOfRange(bytes, cut2, bytes.length));
                assertThat(events).as("cut at %d and %d", cut1, cut2).isEqualTo(expected);
            }
        }
    }

    @Test
    void byteByByteGivesTheSameEvents() {
        List<String> events = new ArrayList<>();
        SseEventParser parser = new SseEventParser(events::add);
        for (byte b : BODY.getBytes(StandardCharsets.UTF_8)) {
            parser.feed(new byte[] {b});
        }
        assertThat(events).hasSize(3).last().isEqualTo("[DONE]");
    }

    @Test
    void anEventWithoutItsBlankLineIsNotDispatched() {
        List<String> events = new ArrayList<>();
        new SseEventParser(events::add).feed("data: half\n".getBytes(StandardCharsets.UTF_8));
        assertThat(events).isEmpty();
    }
}
