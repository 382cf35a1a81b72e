package dev.llmproxy.client;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.github.luben.zstd.Zstd;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes {@link RequestBodyDecoder} two ways. Any {@code Content-Encoding} value over any body bytes: the decoder
 * never throws, releases the body on every path, answers a decoded body no larger than the cap or one of the
 * documented errors (400 {@code invalid_body_encoding}, 413, 415). And a round trip: any body compressed with gzip,
 * deflate or zstd decodes to exactly itself when it fits the cap, and to 413 when it does not. An input is
 * {@code <Content-Encoding>\n<body>}; a first byte of {@code 0x01}–{@code 0x03} selects the round trip instead, with
 * the rest as the plain body.
 */
class RequestBodyDecoderFuzzTest {
    private static final int CAP = 2048;
    private static final RequestBodyDecoder DECODER = new RequestBodyDecoder(CAP);
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    private static final List<Integer> STATUSES = List.of(400, 413, 415);

    @FuzzTest(maxDuration = "10m")
    void decodesWithinTheCapOrAnswersADocumentedError(byte[] input) {
        if (input.length > 0 && input[0] >= 1 && input[0] <= 3) {
            roundTrip(input[0], Arrays.copyOfRange(input, 1, input.length));
            return;
        }
        String text = new String(input, StandardCharsets.ISO_8859_1);
        int newline = text.indexOf('\n');
        String coding = newline < 0 ? text : text.substring(0, newline);
        byte[] body = newline < 0 ? new byte[0] : Arrays.copyOfRange(input, newline + 1, input.length);

        ByteBuf received = ALLOC.buffer(body.length).writeBytes(body);
        DecodedBody decoded = DECODER.decode(coding, received, ALLOC);
        assertThat(received.refCnt()).as("the received body is released or handed back").isLessThanOrEqualTo(
                decoded.failed() ? 0 : 1);
        if (decoded.failed()) {
            assertThat(decoded.error().status()).isIn(STATUSES);
            assertThat(decoded.error().message().chars().allMatch(c -> c >= 0x20 && c != 0x7f)).isTrue();
            assertThat(DECODER.check(coding) == null).isEqualTo(decoded.error().status() != 415);
            return;
        }
        try {
            assertThat(decoded.body().readableBytes()).isLessThanOrEqualTo(Math.max(CAP, body.length));
            assertThat(DECODER.check(coding)).isNull();
            if (RequestBodyDecoder.isIdentity(coding) || body.length == 0) {
                assertThat(ByteBufUtil.getBytes(decoded.body())).isEqualTo(body);
            }
        } finally {
            decoded.body().release();
        }
    }

    private static void roundTrip(byte which, byte[] plain) {
        String coding = switch (which) {
            case 1 -> "gzip";
            case 2 -> "deflate";
            default -> "zstd";
        };
        byte[] compressed = compress(coding, plain);
        DecodedBody decoded = DECODER.decode(coding, ALLOC.buffer(compressed.length).writeBytes(compressed), ALLOC);
        if (plain.length > CAP) {
            assertThat(decoded.failed()).isTrue();
            assertThat(decoded.error().status()).isEqualTo(413);
            return;
        }
        assertThat(decoded.failed()).as("%s", decoded.error()).isFalse();
        try {
            assertThat(ByteBufUtil.getBytes(decoded.body())).isEqualTo(plain);
        } finally {
            decoded.body().release();
        }
    }

    private static byte[] compress(String coding, byte[] plain) {
        if (coding.equals("zstd")) {
            return Zstd.compress(plain);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var compressing = coding.equals("gzip") ? new GZIPOutputStream(out) : new DeflaterOutputStream(out)) {
            compressing.write(plain);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
