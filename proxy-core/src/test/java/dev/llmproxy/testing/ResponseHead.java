package dev.llmproxy.testing;

import java.net.ProtocolException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The status line and headers of one HTTP/1.1 response as {@link RawHttpClient} read them. {@code raw} is the head
 * exactly as received (without the blank line), for assertions on header order or spelling; {@code headers} maps
 * names case-insensitively to their values in order.
 *
 * <p>Immutable; safe to share between threads.
 */
public record ResponseHead(String version, int status, String reason, Map<String, List<String>> headers,
                           String raw) {

    public ResponseHead {
        Map<String, List<String>> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((name, values) -> copy.put(name, List.copyOf(values)));
        headers = Collections.unmodifiableMap(copy);
    }

    /** The first value of the header, or null; case-insensitive. */
    public String header(String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** Every value of the header, in order; empty if absent. */
    public List<String> headerValues(String name) {
        return headers.getOrDefault(name, List.of());
    }

    /** Parses a head: status line and header lines separated by CRLF, without the terminating blank line. */
    static ResponseHead parse(String raw) throws ProtocolException {
        String[] lines = raw.split("\r\n", -1);
        String[] statusLine = lines[0].split(" ", 3);
        if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/")) {
            throw new ProtocolException("not an HTTP status line: " + lines[0]);
        }
        int status;
        try {
            status = Integer.parseInt(statusLine[1]);
        } catch (NumberFormatException e) {
            throw new ProtocolException("not an HTTP status code: " + lines[0]);
        }
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) {
                throw new ProtocolException("not a header line: " + lines[i]);
            }
            headers.computeIfAbsent(lines[i].substring(0, colon), name -> new ArrayList<>())
                    .add(lines[i].substring(colon + 1).strip());
        }
        return new ResponseHead(statusLine[0], status, statusLine.length == 3 ? statusLine[2] : "", headers, raw);
    }
}
