package dev.llmproxy.client;

/**
 * Client-supplied text made safe to quote in an error message or a log line: cut to a length, and every character
 * outside printable ASCII written as {@code \\uXXXX}, so a header value cannot forge lines or hide in the terminal.
 * Stateless; safe from any thread.
 */
final class PrintableText {

    private PrintableText() {
    }

    /** {@code text} escaped and cut to at most {@code maxChars} of its characters (then {@code …}); "null" for null. */
    static String of(CharSequence text, int maxChars) {
        if (text == null) {
            return "null";
        }
        int end = Math.min(text.length(), maxChars);
        StringBuilder out = new StringBuilder(end + 8);
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c < 0x7F) {
                out.append(c);
            } else {
                out.append("\\u");
                String hex = Integer.toHexString(c);
                for (int pad = hex.length(); pad < 4; pad++) {
                    out.append('0');
                }
                out.append(hex);
            }
        }
        if (end < text.length()) {
            out.append('…');
        }
        return out.toString();
    }
}
