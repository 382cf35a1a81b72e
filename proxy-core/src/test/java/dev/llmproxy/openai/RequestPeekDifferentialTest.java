package dev.llmproxy.openai;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The peek path and the tree path agree ({@link PeekVersusTree}) on hand-picked bodies — every error the checks
 * word, duplicate keys, every shape of {@code stream_options}, escapes, a byte-order mark, numbers the tree cannot
 * convert — and on many generated ones: OpenAI-like objects built from random members, and those bodies with random
 * bytes changed, cut or inserted.
 */
class RequestPeekDifferentialTest {
    private static final Operation[] OPERATIONS = Operation.values();

    private static final List<String> BODIES = List.of(
            "", " ", "null", "[]", "\"x\"", "{", "{}", "{} ", "{}{}", "{} x", "{\"model\":", "\ufeff{\"model\":\"m\"}",
            "{\"model\":\"gpt-4o\",\"messages\":[]}",
            "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}",
            "\ufeff{\"model\":\"gpt-4o\",\"messages\":[],\"stream\":true}",
            "{\"model\":\"openai/gpt-4o\",\"messages\":[],\"stream\":true,\"stream_options\":null}",
            "{\"model\":\"m\",\"messages\":[],\"stream\":true,\"stream_options\":{}}",
            "{\"model\":\"m\",\"messages\":[],\"stream\":true,\"stream_options\":{\"include_usage\":false}}",
            "{\"model\":\"m\",\"messages\":[],\"stream\":true,\"stream_options\":{\"include_usage\":null,\"a\":1}}",
            "{\"model\":\"m\",\"messages\":[],\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
            "{\"model\":\"m\",\"messages\":[],\"stream\":true,\"stream_options\":{\"include_usage\":1}}",
            "{\"model\":\"m\",\"messages\":[],\"stream\":true,\"stream_options\":\"x\"}",
            "{\"model\":\"m\",\"messages\":[],\"stream\":true,\"stream_options\":{\"include_usage\":false},"
                    + "\"stream_options\":{\"include_usage\":true}}",
            "{\"model\":\"m\",\"messages\":[],\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                    + "\"stream_options\":null}",
            "{\"stream_options\":{\"include_usage\":false,\"include_usage\":true},\"model\":\"m\",\"messages\":[],"
                    + "\"stream\":true}",
            "{\"model\":\"gpt-4o\",\"model\":\"m\",\"messages\":[]}",
            "{\"model\":42,\"model\":\"m\",\"messages\":[]}",
            "{\"model\":\"m\",\"model\":42,\"messages\":[]}",
            "{\"model\":0,\"messages\":[]}", "{\"model\":0.0e5,\"messages\":[]}", "{\"model\":-1,\"messages\":[]}",
            "{\"model\":false,\"messages\":[]}", "{\"model\":true,\"messages\":[]}", "{\"model\":[],\"messages\":[]}",
            "{\"model\":\"\",\"messages\":[]}", "{\"model\":\"  \",\"messages\":[]}", "{\"model\":null}",
            "{\"model\":\"<model>\",\"messages\":[]}", "{\"model\":\"a>b\",\"messages\":[]}",
            "{\"model\":\"" + "x".repeat(256) + "\",\"messages\":[]}",
            "{\"model\":\"" + "x".repeat(257) + "\",\"messages\":[]}",
            "{\"model\":\"" + "\u00e9".repeat(257) + "\",\"messages\":[]}",
            "{\"model\":\"gpt\\u002d4o\",\"messages\":[]}", "{\"model\":\"m\\ud800\",\"messages\":[]}",
            "{\"model\":\"m\",\"messages\":\"hi\"}", "{\"model\":\"m\",\"messages\":null}", "{\"model\":\"m\"}",
            "{\"model\":\"m\",\"messages\":[1,\"a\",null,{}]}", "{\"model\":\"m\",\"messages\":[],\"messages\":{}}",
            "{\"model\":\"m\",\"messages\":[],\"stream\":\"yes\"}", "{\"model\":\"m\",\"messages\":[],\"stream\":1}",
            "{\"model\":\"m\",\"messages\":[],\"stream\":null}", "{\"model\":\"m\",\"messages\":[],\"stream\":{}}",
            "{\"model\":\"m\",\"messages\":[],\"stream\":[true]}",
            "{\"model\":\"m\",\"messages\":[],\"stream\":\"x\",\"stream\":true}",
            "{\"model\":\"m\",\"input\":null}", "{\"model\":\"m\",\"input\":[\"a\",1.5e3]}", "{\"input\":\"x\"}",
            "{\"model\":\"m\",\"prompt\":\"Say hi\",\"max_tokens\":5,\"stream\":true}",
            "{\"model\":\"m\",\"prompt\":5}", "{\"model\":\"m\",\"prompt\":[\"a\"]}",
            "{\"model\":\"m\",\"messages\":[],\"t\":1e2147483648}", "{\"model\":\"m\",\"messages\":[],\"t\":1E-2147483649}",
            "{\"model\":\"m\",\"messages\":[],\"t\":[{\"u\":-0.5e-2147483647}]}",
            "{\"model\":\"m\",\"messages\":[],\"t\":" + "9".repeat(1001) + "}",
            "{\"model\":\"m\",\"messages\":[],\"t\":NaN}", "{\"model\":\"m\",\"messages\":[],\"t\":01}",
            "{\"model\":\"m\",\"messages\":[],\"t\":\"\\x\"}", "{\"model\":\"m\",\"messages\":[],'t':1}",
            "{\"model\":\"m\",\"messages\":[],}", "{\"model\":\"m\",\"messages\":[1,]}", "{\"model\":\"m\" \"x\":1}",
            "{\"model\":\"m\",\"messages\":[]} // c", "{\"model\":\"m\",\"messages\":[]}\n\n",
            "{\"model\":\"m\",\"messages\":[],\"max_tokens\":\"7\",\"max_output_tokens\":3.5}",
            "{\"model\":\"m\",\"messages\":[],\"max_completion_tokens\":1e3,\"max_tokens\":1}",
            "{\"model\":\"m\",\"messages\":[],\"max_tokens\":-9223372036854775808,\"max_output_tokens\":4}",
            "{\"model\":\"m\",\"messages\":[],\"max_tokens\":9223372036854775808}",
            "{\"model\":\"m\",\"messages\":[],\"n\":" + "[".repeat(999) + "]".repeat(999) + "}",
            "{\"model\":\"m\",\"messages\":[],\"n\":" + "[".repeat(1000) + "]".repeat(1000) + "}");

    @Test
    void agreeOnHandPickedBodies() throws Exception {
        int peeked = 0;
        for (String body : BODIES) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            for (Operation operation : OPERATIONS) {
                for (boolean inject : new boolean[]{true, false}) {
                    try {
                        peeked += PeekVersusTree.assertAgree(operation, bytes, inject) ? 1 : 0;
                    } catch (AssertionError e) {
                        throw new AssertionError(operation + " inject=" + inject + " " + body, e);
                    }
                }
            }
        }
        assertThat(peeked).as("the peek accepted bodies").isGreaterThan(50);
    }

    @Test
    void agreeOnInvalidUtf8() throws Exception {
        byte[][] insides = {{(byte) 0xC3}, {(byte) 0xC3, 0x28}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0xED, (byte) 0xA0,
                (byte) 0x80}, {(byte) 0xF0, (byte) 0x9F, (byte) 0x98}, {(byte) 0xF8, (byte) 0x88, (byte) 0x80,
                (byte) 0x80, (byte) 0x80}, {(byte) 0x80}, {(byte) 0xFF}, {(byte) 0xC0, (byte) 0xAF},
                {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {0x00}, {0x1F}, {0x7F}};
        for (byte[] inside : insides) {
            for (String where : new String[]{"model", "other"}) {
                byte[] head = ("{\"messages\":[],\"" + where + "\":\"a").getBytes(StandardCharsets.UTF_8);
                byte[] tail = "b\",\"model\":\"m\"}".getBytes(StandardCharsets.UTF_8);
                if (where.equals("model")) {
                    tail = "b\"}".getBytes(StandardCharsets.UTF_8);
                }
                byte[] body = new byte[head.length + inside.length + tail.length];
                System.arraycopy(head, 0, body, 0, head.length);
                System.arraycopy(inside, 0, body, head.length, inside.length);
                System.arraycopy(tail, 0, body, head.length + inside.length, tail.length);
                PeekVersusTree.assertAgree(Operation.CHAT_COMPLETIONS, body, true);
            }
        }
    }

    @Test
    void agreeOnGeneratedBodiesAndTheirMutations() throws Exception {
        Random random = new Random(20261202L);
        int peeked = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] body = RequestBodies.generate(random);
            if (random.nextInt(3) == 0) {
                body = RequestBodies.mutate(random, body);
            }
            Operation operation = OPERATIONS[random.nextInt(OPERATIONS.length)];
            boolean inject = random.nextBoolean();
            try {
                peeked += PeekVersusTree.assertAgree(operation, body, inject) ? 1 : 0;
            } catch (AssertionError e) {
                throw new AssertionError(operation + " inject=" + inject + " "
                        + new String(body, StandardCharsets.UTF_8), e);
            }
        }
        assertThat(peeked).as("the peek accepted bodies").isGreaterThan(2_000);
    }
}
