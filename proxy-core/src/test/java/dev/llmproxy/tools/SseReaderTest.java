package dev.llmproxy.tools;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SseReaderTest {

    private static List<String> events(String stream) throws IOException {
        List<String> events = new ArrayList<>();
        SseReader.read(new ByteArrayInputStream(stream.getBytes(StandardCharsets.UTF_8)), data -> {
            events.add(data);
            return true;
        });
        return events;
    }

    @Test
    void endsLinesAtCrLfLfOrCrAndDispatchesOnBlankLines() throws IOException {
        assertThat(events("data: a\r\n\r\ndata: b\n\ndata: c\r\rdata: d\n\n"))
                .containsExactly("a", "b", "c", "d");
    }

    @Test
    void joinsDataLinesOfOneEventAndDropsOneSpaceAfterTheColon() throws IOException {
        assertThat(events("data: first\ndata:second\ndata:  third\ndata\n\n"))
                .containsExactly("first\nsecond\n third\n");
    }

    @Test
    void skipsCommentsOtherFieldsAndEventsWithoutData() throws IOException {
        assertThat(events(": keep-alive\n\nevent: ping\nid: 7\nretry: 10\n\ndatum: no\ndata: yes\n\n"))
                .containsExactly("yes");
    }

    @Test
    void discardsAnEventCutOffByTheEndOfTheStream() throws IOException {
        assertThat(events("data: whole\n\ndata: cut")).containsExactly("whole");
    }

    @Test
    void stopsWhenTheHandlerSaysSo() throws IOException {
        List<String> seen = new ArrayList<>();
        SseReader.read(new ByteArrayInputStream("data: 1\n\ndata: 2\n\n".getBytes(StandardCharsets.UTF_8)),
                data -> seen.add(data) && false);
        assertThat(seen).containsExactly("1");
    }

    @Test
    void readsMultiByteCharactersWhole() throws IOException {
        assertThat(events("data: {\"content\":\"Привіт 🚀\"}\n\n")).containsExactly("{\"content\":\"Привіт 🚀\"}");
    }
}
