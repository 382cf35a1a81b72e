package dev.llmproxy.demo;

import dev.llmproxy.demo.DemoByteRange.Kind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** Range selection over a 10 000-byte representation, case by case of RFC 9110 §14.1. */
class DemoByteRangeTest {
    private static final long LENGTH = 10_000;

    @ParameterizedTest(name = "{0} -> {1}-{2}")
    @CsvSource(delimiter = ';', value = {
            "bytes=0-99;              0;    99",
            "bytes=1000-1999;         1000; 1999",
            "bytes=-500;              9500; 9999",
            "bytes=5000-;             5000; 9999",
            "bytes=9999-9999;         9999; 9999",
            "bytes=9000-20000;        9000; 9999",     // last position clamped
            "bytes=-20000;            0;    9999",     // a suffix longer than the file selects all of it
            "bytes=0-99999999999999999999999; 0; 9999", // saturates instead of overflowing
            "BYTES=10-19;             10;   19",       // the unit is case-insensitive
            "'bytes=10-19, ';         10;   19",       // empty list elements are allowed
            "bytes= 10-19;            10;   19"})
    void selectsOneSatisfiableRange(String header, long first, long last) {
        DemoByteRange range = DemoByteRange.select(header, LENGTH);
        assertThat(range.kind()).isEqualTo(Kind.PARTIAL);
        assertThat(range.first()).isEqualTo(first);
        assertThat(range.last()).isEqualTo(last);
        assertThat(range.length()).isEqualTo(last - first + 1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bytes=10000-", "bytes=10000-10005", "bytes=-0", "bytes=99999999999999999999999-"})
    void findsRangesBeyondTheEndUnsatisfiable(String header) {
        assertThat(DemoByteRange.select(header, LENGTH).kind()).isEqualTo(Kind.UNSATISFIABLE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "bytes", "bytes=", "bytes=abc", "bytes=5-1", "bytes=1-2-3", "bytes=-", "bytes=+1-2",
            "bytes=0x10-20", "items=0-99", "bytes=0-99,200-299", "bytes=0-1,-5", "bytes=1 - 2"})
    void servesTheWholeFileForMalformedForeignOrMultipleRanges(String header) {
        DemoByteRange range = DemoByteRange.select(header, LENGTH);
        assertThat(range.kind()).isEqualTo(Kind.FULL);
        assertThat(range.first()).isZero();
        assertThat(range.last()).isEqualTo(LENGTH - 1);
    }

    @org.junit.jupiter.api.Test
    void servesTheWholeFileWithoutARangeHeader() {
        assertThat(DemoByteRange.select(null, LENGTH)).isEqualTo(DemoByteRange.full(LENGTH));
    }
}
