package dev.llmproxy.openai;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/** Random OpenAI-like request bodies for the differential tests: the members the peek reads, in any order and number. */
final class RequestBodies {
    private static final String[] NAMES = {"model", "messages", "stream", "stream_options", "input", "prompt",
            "max_tokens", "max_completion_tokens", "max_output_tokens", "temperature", "tools", "include_usage", "x"};
    private static final String[] MODELS = {"gpt-4o", "openai/gpt-4o", "GPT-4O", "m", "llama3.2:3b", "<id>", "",
            " ", "mistral-nemo", "a\\\"b", "\\u0067pt-4o", "\u00e9t\u00e9", "x".repeat(300)};
    private static final String[] WHITESPACE = {"", "", "", " ", "\n", "\t", " \r\n "};

    private RequestBodies() {
    }

    static byte[] generate(Random r) {
        StringBuilder b = new StringBuilder();
        b.append(ws(r)).append('{');
        int members = r.nextInt(8);
        boolean wellFormed = r.nextInt(4) != 0;
        if (wellFormed) {
            b.append("\"model\":").append(string(r, MODELS[r.nextInt(MODELS.length)])).append(',');
            b.append("\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]");
            if (members > 0) {
                b.append(',');
            }
        }
        for (int i = 0; i < members; i++) {
            if (i > 0) {
                b.append(',');
            }
            String name = NAMES[r.nextInt(NAMES.length)];
            b.append(ws(r)).append('"').append(name).append('"').append(ws(r)).append(':').append(ws(r));
            b.append(value(r, name, 0)).append(ws(r));
        }
        b.append('}').append(ws(r));
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String value(Random r, String name, int depth) {
        int kind = r.nextInt(10);
        if (kind < 5) {
            switch (name) {
                case "model":
                    return r.nextInt(6) == 0 ? any(r, depth) : string(r, MODELS[r.nextInt(MODELS.length)]);
                case "stream":
                case "include_usage":
                    return new String[]{"true", "false", "null", "1", "\"true\""}[r.nextInt(5)];
                case "stream_options":
                    StringBuilder o = new StringBuilder("{");
                    int n = r.nextInt(3);
                    for (int i = 0; i < n; i++) {
                        if (i > 0) {
                            o.append(',');
                        }
                        String member = r.nextBoolean() ? "include_usage" : "x";
                        o.append(ws(r)).append('"').append(member).append("\":").append(value(r, member, depth + 1));
                    }
                    return o.append(ws(r)).append('}').toString();
                case "messages":
                    StringBuilder m = new StringBuilder("[");
                    int k = r.nextInt(3);
                    for (int i = 0; i < k; i++) {
                        if (i > 0) {
                            m.append(',');
                        }
                        m.append(r.nextInt(5) == 0 ? any(r, depth + 1)
                                : "{\"role\":\"user\",\"content\":" + string(r, "h\u00e9llo \\n") + "}");
                    }
                    return m.append(']').toString();
                case "max_tokens":
                case "max_completion_tokens":
                case "max_output_tokens":
                    return new String[]{"16", "-1", "0", "7.5", "1e3", "99999999999999999999", "\"5\"", "null",
                            "-9223372036854775808", "9223372036854775807"}[r.nextInt(10)];
                default:
                    return any(r, depth);
            }
        }
        return any(r, depth);
    }

    private static String any(Random r, int depth) {
        switch (depth > 3 ? r.nextInt(6) : r.nextInt(8)) {
            case 0: return "null";
            case 1: return r.nextBoolean() ? "true" : "false";
            case 2: return new String[]{"0", "-0", "1.5", "0.7", "-2e-3", "1E+2", "123456789012345678901234567890",
                    "1e400", "3.0"}[r.nextInt(9)];
            case 3: return string(r, new String[]{"", "a", "\\\"", "\\u00e9\\ud83d\\ude00", "\u65e5\u672c",
                    "\\/\\b\\f\\n\\r\\t"}[r.nextInt(6)]);
            case 4:
            case 5: return string(r, "text");
            case 6: {
                StringBuilder a = new StringBuilder("[");
                int n = r.nextInt(3);
                for (int i = 0; i < n; i++) {
                    a.append(i > 0 ? "," : "").append(any(r, depth + 1));
                }
                return a.append(']').toString();
            }
            default: {
                StringBuilder o = new StringBuilder("{");
                int n = r.nextInt(3);
                for (int i = 0; i < n; i++) {
                    o.append(i > 0 ? "," : "").append('"').append(NAMES[r.nextInt(NAMES.length)]).append("\":")
                            .append(any(r, depth + 1));
                }
                return o.append('}').toString();
            }
        }
    }

    private static String string(Random r, String content) {
        return '"' + content + '"';
    }

    private static String ws(Random r) {
        return WHITESPACE[r.nextInt(WHITESPACE.length)];
    }

    /** {@code body} with a few bytes changed, cut or inserted. */
    static byte[] mutate(Random r, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int edits = 1 + r.nextInt(3);
        byte[] current = body;
        for (int e = 0; e < edits; e++) {
            out.reset();
            int at = current.length == 0 ? 0 : r.nextInt(current.length + 1);
            int op = r.nextInt(3);
            out.write(current, 0, Math.min(at, current.length));
            byte[] tokens = {'{', '}', '[', ']', ',', ':', '"', '\\', 'e', '-', '0', ' ', (byte) 0xC3, (byte) 0xFF};
            if (op == 0) {
                out.write(tokens[r.nextInt(tokens.length)]);
                out.write(current, at, current.length - at);
            } else if (op == 1 && at < current.length) {
                out.write(current, at + 1, current.length - at - 1);
            } else if (at < current.length) {
                out.write(tokens[r.nextInt(tokens.length)]);
                out.write(current, at + 1, current.length - at - 1);
            } else {
                out.write(current, at, current.length - at);
            }
            current = out.toByteArray();
        }
        return current;
    }
}
