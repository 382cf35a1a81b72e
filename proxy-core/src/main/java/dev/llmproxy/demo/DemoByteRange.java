package dev.llmproxy.demo;

/**
 * What a {@code Range} header asks of a representation of known length (RFC 9110 §14.1–14.2), reduced to what the
 * demo serves: one satisfiable range (206), an unsatisfiable request (416), or the whole representation (200).
 *
 * <p>The whole representation is served when the header is absent, malformed, in another unit, or asks for more
 * than one range: RFC 9110 lets a server ignore {@code Range}, and a browser's audio element only ever asks for
 * one. {@code bytes=-0} and a first position at or beyond the end are unsatisfiable; a last position beyond the end
 * is clamped; a suffix longer than the representation selects all of it.
 *
 * @param kind  which answer
 * @param first the first byte served (inclusive), for {@link Kind#PARTIAL}; else 0
 * @param last  the last byte served (inclusive), for {@link Kind#PARTIAL}; else {@code length - 1}
 */
record DemoByteRange(Kind kind, long first, long last) {
    enum Kind { FULL, PARTIAL, UNSATISFIABLE }

    private static final String BYTES_UNIT = "bytes";

    /** How many bytes the range covers. */
    long length() {
        return last - first + 1;
    }

    static DemoByteRange full(long length) {
        return new DemoByteRange(Kind.FULL, 0, length - 1);
    }

    /** @param header the {@code Range} value, or null when absent */
    static DemoByteRange select(String header, long length) {
        if (header == null) {
            return full(length);
        }
        int equals = header.indexOf('=');
        if (equals < 0 || !header.substring(0, equals).strip().equalsIgnoreCase(BYTES_UNIT)) {
            return full(length);
        }
        String spec = null;
        for (String element : header.substring(equals + 1).split(",", -1)) {
            String trimmed = element.strip();
            if (trimmed.isEmpty()) {
                continue; // list syntax allows empty elements
            }
            if (spec != null) {
                return full(length); // several ranges: served whole, see the class comment
            }
            spec = trimmed;
        }
        if (spec == null) {
            return full(length);
        }
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return full(length);
        }
        String firstText = spec.substring(0, dash);
        String lastText = spec.substring(dash + 1);
        if (firstText.isEmpty()) {
            long suffix = digits(lastText);
            if (suffix < 0) {
                return full(length);
            }
            if (suffix == 0 || length == 0) {
                return unsatisfiable(length);
            }
            return new DemoByteRange(Kind.PARTIAL, Math.max(0, length - suffix), length - 1);
        }
        long first = digits(firstText);
        if (first < 0) {
            return full(length);
        }
        long last;
        if (lastText.isEmpty()) {
            last = Long.MAX_VALUE;
        } else {
            last = digits(lastText);
            if (last < 0 || last < first) {
                return full(length); // syntactically invalid: RFC 9110 says ignore the header
            }
        }
        if (first >= length) {
            return unsatisfiable(length);
        }
        return new DemoByteRange(Kind.PARTIAL, first, Math.min(last, length - 1));
    }

    private static DemoByteRange unsatisfiable(long length) {
        return new DemoByteRange(Kind.UNSATISFIABLE, 0, length - 1);
    }

    /** A run of ASCII digits as a number (saturating at {@link Long#MAX_VALUE}); -1 for anything else. */
    private static long digits(String s) {
        if (s.isEmpty()) {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            int digit = c - '0';
            value = value > (Long.MAX_VALUE - digit) / 10 ? Long.MAX_VALUE : value * 10 + digit;
        }
        return value;
    }
}
