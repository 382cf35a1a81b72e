package dev.llmproxy.demo;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes {@link DemoByteRange#select} with any {@code Range} value against any representation length. An input is
 * {@code <length>\n<Range value>} (ISO-8859-1, as Netty decodes header values); a first line that is not a number
 * stands for a length of 1000. Inputs: {@code DemoByteRangeFuzzTestInputs/}.
 */
class DemoByteRangeFuzzTest {
    private static final long DEFAULT_LENGTH = 1000;

    @FuzzTest(maxDuration = "10m")
    void selectsAWellFormedRangeOrTheWhole(byte[] input) {
        String text = new String(input, StandardCharsets.ISO_8859_1);
        int newline = text.indexOf('\n');
        long length = newline < 0 ? DEFAULT_LENGTH : lengthOf(text.substring(0, newline));
        String header = newline < 0 ? text : text.substring(newline + 1);

        DemoByteRange range = DemoByteRange.select(header, length);

        switch (range.kind()) {
            case FULL -> assertThat(range).isEqualTo(DemoByteRange.full(length));
            case UNSATISFIABLE -> assertThat(range.first()).isZero();
            case PARTIAL -> {
                assertThat(range.first()).isBetween(0L, length - 1);
                assertThat(range.last()).isBetween(range.first(), length - 1);
                assertThat(range.length()).isBetween(1L, length);
                // what a 206 says in Content-Range, asked for again, selects the same bytes
                assertThat(DemoByteRange.select("bytes=" + range.first() + "-" + range.last(), length))
                        .isEqualTo(range);
            }
        }
        assertThat(DemoByteRange.select(null, length)).isEqualTo(DemoByteRange.full(length));
    }

    /** A non-negative length from decimal digits, at most 2^40; {@link #DEFAULT_LENGTH} for anything else. */
    private static long lengthOf(String digits) {
        if (digits.isEmpty() || digits.length() > 12 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return DEFAULT_LENGTH;
        }
        return Math.min(Long.parseLong(digits), 1L << 40);
    }
}
