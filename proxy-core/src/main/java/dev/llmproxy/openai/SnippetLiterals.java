package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;

/**
 * Turns user text (a model id, a prompt) into a literal of the language a generated snippet is written in, so that
 * the text stays data whatever it contains (the reference pasted it into templates unescaped, REFERENCE §12.24).
 * Each literal reads back, in its language, as exactly the input, with lone surrogates as U+FFFD (they are no
 * character; JSON encoders refuse them). Stateless; safe from any thread.
 */
final class SnippetLiterals {

    private SnippetLiterals() {
    }

    /**
     * A double-quoted JSON string literal that JavaScript and Python both read back as {@code value}. Quotes,
     * backslashes and control characters are escaped; {@code <}, {@code >}, {@code &} and U+2028/U+2029 too, so the
     * snippet stays inert pasted into HTML ({@code </script>}) or run by an old JS engine; no {@code \/} escape
     * (Python would keep the backslash).
     */
    static String jsonString(String value) {
        StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '<', '>', '&', '\u007f', '\u2028', '\u2029' -> unicodeEscape(out, c);
                default -> {
                    if (c < 0x20) {
                        unicodeEscape(out, c);
                    } else if (isPairAt(value, i)) {
                        out.append(c).append(value.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        unicodeEscape(out, '\ufffd');
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    /**
     * A Java string literal of plain ASCII that javac reads back as {@code value} whatever the source encoding.
     * Control characters use octal escapes, never {@code \}{@code u000a}: javac translates unicode escapes before it
     * reads the source, so an escaped line feed would end the literal. Every other non-ASCII character, and
     * {@code <}, {@code >}, {@code &} for the same reason as in {@link #jsonString}, is a unicode escape; an escaped
     * backslash before one stays a backslash, since javac only translates a {@code \}{@code u} preceded by an even
     * number of backslashes.
     */
    static String javaString(String value) {
        StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '<', '>', '&' -> unicodeEscape(out, c);
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        // three digits always, so a digit that follows is never read as part of the escape
                        out.append('\\').append((char) ('0' + (c >> 6))).append((char) ('0' + ((c >> 3) & 7)))
                                .append((char) ('0' + (c & 7)));
                    } else if (c < 0x7f) {
                        out.append(c);
                    } else if (isPairAt(value, i)) {
                        unicodeEscape(out, c);
                        unicodeEscape(out, value.charAt(++i));
                    } else {
                        unicodeEscape(out, Character.isSurrogate(c) ? '\ufffd' : c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    /** {@code value} single-quoted for bash; each {@code '} becomes {@code '"'"'}. Inside, the shell expands nothing. */
    static String shellQuote(String value) {
        return "'" + value.replace("'", "'\"'\"'") + "'";
    }

    /** {@code value} with each lone surrogate as U+FFFD. */
    static String wellFormed(String value) {
        StringBuilder out = null;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (isPairAt(value, i)) {
                if (out != null) {
                    out.append(c).append(value.charAt(i + 1));
                }
                i++;
            } else if (Character.isSurrogate(c)) {
                if (out == null) {
                    out = new StringBuilder(value.length()).append(value, 0, i);
                }
                out.append('\ufffd');
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? value : out.toString();
    }

    /**
     * {@code {"model":…,"messages":[{"role":"user","content":…}]}} as compact JSON, plus
     * {@code "stream":true,"stream_options":{"include_usage":true}} for a stream. JSON escapes every control
     * character, so the text has no raw newline or NUL.
     */
    static String chatBody(String model, String prompt, boolean stream) {
        ObjectNode body = Json.object();
        body.put("model", model);
        ObjectNode message = body.putArray("messages").addObject();
        message.put("role", "user");
        message.put("content", prompt);
        if (stream) {
            body.put("stream", true);
            body.putObject("stream_options").put("include_usage", true);
        }
        return json(body);
    }

    /**
     * A JSON value ({@code "text"}, {@code [...]}) as compact text, with {@code <}, {@code >} and {@code &} as
     * unicode escapes so that a script holding it stays inert pasted into HTML. They are never JSON syntax, so they
     * can only occur inside strings, where the escape means the same character.
     */
    static String json(Object value) {
        return new String(Json.bytes(value), StandardCharsets.UTF_8)
                .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026");
    }

    private static boolean isPairAt(String value, int i) {
        return Character.isHighSurrogate(value.charAt(i)) && i + 1 < value.length()
                && Character.isLowSurrogate(value.charAt(i + 1));
    }

    private static void unicodeEscape(StringBuilder out, char c) {
        out.append("\\u");
        String hex = Integer.toHexString(c);
        for (int pad = hex.length(); pad < 4; pad++) {
            out.append('0');
        }
        out.append(hex);
    }
}
