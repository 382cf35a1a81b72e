package dev.llmproxy.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.argumentSet;

class ResponseBodyDecoderTest {

    /** What follows the body on a keep-alive connection; the decoder must leave it alone. */
    private static final String NEXT_RESPONSE = "HTTP/1.1 204 No Content\r\n\r\n";

    static Stream<Arguments> framedBodies() {
        Supplier<ResponseBodyDecoder> chunked = ResponseBodyDecoder::chunked;
        return Stream.of(
                argumentSet("chunked with extension and trailer", chunked,
                        "7;name=value\r\ndata: a\r\n10\r\n0123456789abcdef\r\n1\r\n\n\r\n0\r\nX-Trailer: t\r\n\r\n",
                        "data: a0123456789abcdef\n"),
                argumentSet("chunked, empty", chunked, "0\r\n\r\n", ""),
                argumentSet("content-length", (Supplier<ResponseBodyDecoder>) () -> ResponseBodyDecoder.fixedLength(11),
                        "hello world", "hello world"),
                argumentSet("content-length zero", (Supplier<ResponseBodyDecoder>) () -> ResponseBodyDecoder.fixedLength(0),
                        "", ""),
                argumentSet("no body", (Supplier<ResponseBodyDecoder>) ResponseBodyDecoder::none, "", ""));
    }

    @ParameterizedTest
    @MethodSource("framedBodies")
    void decodesTheBodySplitAtEveryOffsetAndLeavesWhatFollows(Supplier<ResponseBodyDecoder> decoders, String framed,
                                                              String expected) throws Exception {
        byte[] input = bytes(framed + NEXT_RESPONSE);
        for (int split = 0; split <= input.length; split++) {
            Fed fed = feed(decoders.get(), input, split);
            assertThat(fed.decoded).as("split at %d", split).isEqualTo(expected);
            assertThat(fed.leftover).as("split at %d", split).isEqualTo(NEXT_RESPONSE);
        }
        Fed byteByByte = feed(decoders.get(), input, range(1, input.length));
        assertThat(byteByByte.decoded).isEqualTo(expected);
        assertThat(byteByByte.leftover).isEqualTo(NEXT_RESPONSE);
    }

    @Test
    void handsOutDataBeforeTheChunkIsComplete() throws Exception {
        ResponseBodyDecoder decoder = ResponseBodyDecoder.chunked();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] partial = bytes("a\r\nhello");

        int consumed = decoder.decode(partial, 0, partial.length, out);

        assertThat(consumed).isEqualTo(partial.length);
        assertThat(out.toString(StandardCharsets.ISO_8859_1)).isEqualTo("hello");
        assertThat(decoder.complete()).isFalse();
    }

    @Test
    void closeDelimitedBodyEndsAtEndOfInput() throws Exception {
        ResponseBodyDecoder decoder = ResponseBodyDecoder.untilClose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] input = bytes("everything until close");

        assertThat(decoder.decode(input, 0, input.length, out)).isEqualTo(input.length);
        assertThat(decoder.complete()).isFalse();
        decoder.endOfInput();

        assertThat(decoder.complete()).isTrue();
        assertThat(out.toString(StandardCharsets.ISO_8859_1)).isEqualTo("everything until close");
    }

    @Test
    void endOfInputMidBodyIsAnError() throws Exception {
        ResponseBodyDecoder fixed = ResponseBodyDecoder.fixedLength(10);
        byte[] input = bytes("abc");
        fixed.decode(input, 0, input.length, new ByteArrayOutputStream());
        assertThatThrownBy(fixed::endOfInput).isInstanceOf(EOFException.class).hasMessageContaining("7 bytes missing");

        ResponseBodyDecoder chunked = ResponseBodyDecoder.chunked();
        byte[] chunk = bytes("3\r\nabc\r\n");
        chunked.decode(chunk, 0, chunk.length, new ByteArrayOutputStream());
        assertThatThrownBy(chunked::endOfInput).isInstanceOf(EOFException.class);
    }

    @Test
    void rejectsMalformedChunkFraming() {
        byte[] badSize = bytes("zz\r\nabc\r\n");
        assertThatThrownBy(() -> ResponseBodyDecoder.chunked().decode(badSize, 0, badSize.length,
                new ByteArrayOutputStream())).isInstanceOf(ProtocolException.class).hasMessageContaining("zz");

        byte[] missingCrlf = bytes("3\r\nabcX\r\n0\r\n\r\n");
        assertThatThrownBy(() -> ResponseBodyDecoder.chunked().decode(missingCrlf, 0, missingCrlf.length,
                new ByteArrayOutputStream())).isInstanceOf(ProtocolException.class);
    }

    private record Fed(String decoded, String leftover) {
    }

    /** Feeds {@code input} in pieces ending at {@code splits}, carrying unconsumed bytes over as a client would. */
    private static Fed feed(ResponseBodyDecoder decoder, byte[] input, int... splits) throws ProtocolException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] pending = new byte[0];
        int from = 0;
        int[] ends = Arrays.copyOf(splits, splits.length + 1);
        ends[splits.length] = input.length;
        for (int end : ends) {
            pending = concat(pending, Arrays.copyOfRange(input, from, end));
            from = end;
            int consumed = decoder.decode(pending, 0, pending.length, out);
            pending = Arrays.copyOfRange(pending, consumed, pending.length);
        }
        assertThat(decoder.complete()).isTrue();
        return new Fed(out.toString(StandardCharsets.ISO_8859_1), new String(pending, StandardCharsets.ISO_8859_1));
    }

    private static int[] range(int fromInclusive, int toExclusive) {
        return java.util.stream.IntStream.range(fromInclusive, toExclusive).toArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] joined = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, joined, a.length, b.length);
        return joined;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }
}
