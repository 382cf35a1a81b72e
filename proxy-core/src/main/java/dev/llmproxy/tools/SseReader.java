package dev.llmproxy.tools;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Reads a {@code text/event-stream} body as the HTML standard defines it: lines end in CRLF, LF or CR; {@code data:}
 * lines of one event are joined with LF (one space after the colon dropped); a blank line dispatches the event;
 * comments and other fields are skipped; an event cut off by the end of the stream is discarded. Blocking, on the
 * caller's thread.
 */
final class SseReader {

    /** Receives each event's data; returns false to stop reading. */
    @FunctionalInterface
    interface EventHandler {
        boolean onData(String data) throws IOException;
    }

    private SseReader() {
    }

    /** Reads until the stream ends or {@code handler} returns false; does not close {@code in}. */
    static void read(InputStream in, EventHandler handler) throws IOException {
        // BufferedReader.readLine ends lines at CRLF, LF or CR: the three the standard allows
        BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        StringBuilder data = null;
        String line;
        while ((line = lines.readLine()) != null) {
            if (line.isEmpty()) {
                if (data != null) {
                    if (!handler.onData(data.toString())) {
                        return;
                    }
                    data = null;
                }
                continue;
            }
            if (line.startsWith("data")) {
                String value = fieldValue(line, 4);
                if (value != null) {
                    data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                }
            }
            // ":" comments, event:, id:, retry: and unknown fields carry nothing the tools use
        }
    }

    /** The value of field {@code line} whose name has {@code nameLength} chars; null when the name is longer. */
    private static String fieldValue(String line, int nameLength) {
        if (line.length() == nameLength) {
            return "";
        }
        if (line.charAt(nameLength) != ':') {
            return null;
        }
        int start = nameLength + 1;
        if (start < line.length() && line.charAt(start) == ' ') {
            start++;
        }
        return line.substring(start);
    }
}
