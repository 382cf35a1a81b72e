package dev.llmproxy.openai;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.util.Arrays;

/**
 * Fuzzes the peek against the tree path ({@link PeekVersusTree}): for any body and operation, the same error, or the
 * same accepted request and upstream JSON value, also after a route changes the model id; unchanged bodies go as the
 * client's bytes. An input is one byte choosing the operation (and, by its high bit, usage injection off), then the
 * body.
 */
class RequestPeekFuzzTest {
    private static final Operation[] OPERATIONS = Operation.values();

    @FuzzTest(maxDuration = "10m")
    void peekAndTreeAgree(byte[] input) throws Exception {
        if (input.length == 0) {
            return;
        }
        Operation operation = OPERATIONS[(input[0] & 0x7F) % OPERATIONS.length];
        boolean inject = (input[0] & 0x80) == 0;
        PeekVersusTree.assertAgree(operation, Arrays.copyOfRange(input, 1, input.length), inject);
    }
}
