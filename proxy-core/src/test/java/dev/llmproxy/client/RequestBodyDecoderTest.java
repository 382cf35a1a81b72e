package dev.llmproxy.client;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.encoder.Encoder;
import com.github.luben.zstd.Zstd;
import dev.llmproxy.openai.ErrorKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link RequestBodyDecoder}: each coding and lists of them decode to the original bytes; unknown codings are 415,
 * corrupt data 400 naming the coding, and output past the cap 413 — including bombs that expand to gigabytes, which
 * must stop at the cap without allocating what they declare. Every input buffer is released on every path.
 */
class RequestBodyDecoderTest {
    private static final int CAP = 10 * 1024 * 1024; // MAX_REQUEST_BODY_BYTES' default
    /** Heap buffers, so that the thread's allocation counter sees the output too. */
    private static final ByteBufAllocator ALLOC = new UnpooledByteBufAllocator(false);
    private static final byte[] JSON = RequestBodies.chatJson(50 * 1024);

    private final RequestBodyDecoder decoder = new RequestBodyDecoder(CAP);

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "x-gzip", "GZip", "deflate", "deflate-raw", "br", "zstd", " zstd\t", "ZSTD"})
    void decodesEachCodingToTheOriginalBytes(String name) {
        String header = name.equals("deflate-raw") ? "deflate" : name;
        ByteBuf body = Unpooled.wrappedBuffer(RequestBodies.encode(name.trim().toLowerCase(), JSON));

        DecodedBody decoded = decoder.decode(header, body, ALLOC);

        assertDecodedTo(decoded, JSON);
        assertThat(body.refCnt()).as("the received body is released").isZero();
    }

    @Test
    void undoesAListOfCodingsLastAppliedFirst() {
        byte[] twice = RequestBodies.encode("br", RequestBodies.encode("gzip", JSON)); // gzip first, then br

        assertDecodedTo(decoder.decode("gzip, br", Unpooled.wrappedBuffer(twice), ALLOC), JSON);
        assertDecodedTo(decoder.decode(" identity ,gzip,,\tBR ", Unpooled.wrappedBuffer(twice), ALLOC), JSON);
        DecodedBody wrongOrder = decoder.decode("br, gzip", Unpooled.wrappedBuffer(twice), ALLOC);
        assertThat(wrongOrder.error().kind()).isEqualTo(ErrorKind.INVALID_BODY_ENCODING);
        assertThat(wrongOrder.error().message()).contains("not valid gzip");
    }

    @Test
    void decodesABodySplitIntoManyParts() {
        byte[] zstd = RequestBodies.encode("zstd", JSON);
        CompositeByteBuf parts = ALLOC.compositeBuffer(1024);
        for (int i = 0; i < zstd.length; i += 97) { // as RequestBody gathers a chunked body
            parts.addComponent(true, Unpooled.copiedBuffer(zstd, i, Math.min(97, zstd.length - i)));
        }

        assertDecodedTo(decoder.decode("zstd", parts, ALLOC), JSON);
        assertThat(parts.refCnt()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "identity", "Identity, identity", ", ,"})
    void handsBackAnUnencodedBodyAsIs(String header) {
        ByteBuf body = Unpooled.copiedBuffer(JSON);

        DecodedBody decoded = decoder.decode(header, body, ALLOC);

        assertThat(RequestBodyDecoder.isIdentity(header)).isTrue();
        assertThat(decoded.body()).as("no copy").isSameAs(body);
        assertThat(body.refCnt()).isOne();
        body.release();
    }

    @Test
    void handsBackAnAbsentOrEmptyBodyAsIs() {
        ByteBuf body = Unpooled.copiedBuffer(JSON);
        assertThat(decoder.decode(null, body, ALLOC).body()).isSameAs(body);
        body.release();
        assertThat(RequestBodyDecoder.isIdentity(null)).isTrue();
        assertThat(RequestBodyDecoder.isIdentity("gzip")).isFalse();
        assertThat(RequestBodyDecoder.isIdentity("identity, zstd")).isFalse();

        DecodedBody empty = decoder.decode("gzip", Unpooled.EMPTY_BUFFER, ALLOC);
        assertThat(empty.failed()).isFalse();
        assertThat(empty.body().readableBytes()).isZero();
    }

    @Test
    void refusesAnUnknownCodingWith415NamingItSafely() {
        ByteBuf body = Unpooled.copiedBuffer(JSON);

        DecodedBody decoded = decoder.decode("gzip, compress\u0001" + "x".repeat(100), body, ALLOC);

        assertThat(decoded.failed()).isTrue();
        assertThat(decoded.body()).isNull();
        assertThat(decoded.error().status()).isEqualTo(415);
        assertThat(decoded.error().kind().code()).isEqualTo("unsupported_content_encoding");
        assertThat(decoded.error().message())
                .startsWith("Content-Encoding 'compress\\u0001xxx")
                .contains("…' is not supported")
                .doesNotContain("\u0001")
                .hasSizeLessThan(200);
        assertThat(decoded.error().headers()).containsEntry("accept-encoding", "gzip, deflate, br, zstd");
        assertThat(body.refCnt()).isZero();
        assertThat(decoder.check("zstd, br")).isNull();
        assertThat(decoder.check("identity")).isNull();
        assertThat(decoder.check("compress").status()).isEqualTo(415);
        assertThat(decoder.check("gzip;q=1").status()).isEqualTo(415);
    }

    @Test
    void refusesMoreCodingsThanItStacks() {
        assertThat(decoder.check("gzip, gzip, gzip")).isNull();
        assertThat(decoder.check("gzip, gzip, gzip, gzip").message()).contains("more than 3 codings");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "deflate", "br", "zstd"})
    void answersCorruptDataWith400NamingTheCoding(String coding) {
        byte[] good = RequestBodies.encode(coding, JSON);
        byte[] flipped = good.clone();
        for (int i = flipped.length / 3; i < flipped.length / 3 + 16; i++) {
            flipped[i] ^= 0x5A;
        }
        byte[] truncated = Arrays.copyOf(good, good.length / 2);
        byte[] notThatFormat = "{\"model\":\"gpt-4o\"}".getBytes(StandardCharsets.UTF_8);

        for (byte[] bad : List.of(flipped, truncated, notThatFormat)) {
            ByteBuf body = Unpooled.wrappedBuffer(bad);
            DecodedBody decoded = decoder.decode(coding, body, ALLOC);
            assertThat(decoded.failed()).isTrue();
            assertThat(decoded.error().status()).isEqualTo(400);
            assertThat(decoded.error().kind().code()).isEqualTo("invalid_body_encoding");
            assertThat(decoded.error().message()).startsWith("request body is not valid " + coding + " data");
            assertThat(body.refCnt()).isZero();
        }
    }

    @Test
    void namesTheInnerCodingWhenItsDataIsCorrupt() {
        byte[] badGzip = RequestBodies.encode("gzip", JSON);
        badGzip[badGzip.length / 2] ^= 0x5A;
        badGzip[badGzip.length / 2 + 1] ^= 0x5A;

        DecodedBody decoded = decoder.decode("gzip, zstd", Unpooled.wrappedBuffer(RequestBodies.encode("zstd", badGzip)),
                ALLOC);

        assertThat(decoded.error().message()).startsWith("request body is not valid gzip data");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "deflate", "br", "zstd"})
    void takesABodyOfExactlyTheCapAndRefusesOneByteMore(String coding) {
        int cap = 256 * 1024;
        RequestBodyDecoder small = new RequestBodyDecoder(cap);
        byte[] atCap = new byte[cap];
        Arrays.fill(atCap, (byte) 'a');

        DecodedBody fits = small.decode(coding, Unpooled.wrappedBuffer(RequestBodies.encode(coding, atCap)), ALLOC);
        assertDecodedTo(fits, atCap);

        byte[] overCap = Arrays.copyOf(atCap, cap + 1);
        overCap[cap] = 'a';
        DecodedBody tooLarge = small.decode(coding, Unpooled.wrappedBuffer(RequestBodies.encode(coding, overCap)), ALLOC);
        assertThat(tooLarge.error().status()).isEqualTo(413);
        assertThat(tooLarge.error().kind().code()).isEqualTo("request_too_large");
        assertThat(tooLarge.error().message()).contains(cap + " bytes after decoding Content-Encoding " + coding);
    }

    @Test
    void stopsATenGibibyteZstdBombAtTheCapWithFlatMemory() {
        // 640 frames of 16 MiB of zeros, each a few hundred bytes: 10 GiB decoded from well under the cap
        byte[] frame = Zstd.compress(new byte[16 * 1024 * 1024], 3);
        byte[] bomb = repeat(frame, 640);
        assertThat(bomb.length).isLessThan(CAP);
        ByteBuf body = Unpooled.wrappedBuffer(bomb);

        warmUp("zstd");
        long before = allocatedBytes();
        DecodedBody decoded = decoder.decode("zstd", body.retain(), ALLOC);
        long allocated = allocatedBytes() - before;

        assertThat(decoded.error().kind()).isEqualTo(ErrorKind.REQUEST_TOO_LARGE);
        // the cap in 64 KiB buffers, the decoder's 128 KiB input buffer and change; never the 10 GiB
        assertThat(allocated).as("heap allocated while decoding").isLessThan(CAP + 1024 * 1024);
        // decoding stopped within the first input buffer (128 KiB) that reached the cap, far from the bomb's end
        assertThat(body.readerIndex()).as("compressed bytes read").isLessThan(132 * 1024).isLessThan(bomb.length);
        assertThat(body.refCnt()).as("released by the decoder").isOne();
        body.release();
    }

    @Test
    void stopsAGzipBombAtTheCapWithFlatMemory() {
        // 64 gzip members of 16 MiB of zeros: 1 GiB decoded from about 1 MB
        byte[] bomb = repeat(RequestBodies.encode("gzip", new byte[16 * 1024 * 1024]), 64);
        assertThat(bomb.length).isLessThan(CAP);
        ByteBuf body = Unpooled.wrappedBuffer(bomb);

        warmUp("gzip");
        long before = allocatedBytes();
        DecodedBody decoded = decoder.decode("gzip", body.retain(), ALLOC);
        long allocated = allocatedBytes() - before;

        assertThat(decoded.error().kind()).isEqualTo(ErrorKind.REQUEST_TOO_LARGE);
        assertThat(allocated).isLessThan(CAP + 1024 * 1024);
        // deflate expands zeros about 1000x: 10 MiB of output needs about 10 KB of input, plus one 8 KiB read
        assertThat(body.readerIndex()).isLessThan(32 * 1024);
        body.release();
    }

    @Test
    void holdsEveryLayerOfAListToTheCap() throws IOException {
        // the inner layer is a gzip member whose header carries a 4 MiB comment: 4 MiB to read for a 2-byte body
        byte[] inner = gzipWithComment(4 * 1024 * 1024, "{}".getBytes(StandardCharsets.US_ASCII));
        byte[] outer = RequestBodies.encode("gzip", inner);
        RequestBodyDecoder small = new RequestBodyDecoder(1024 * 1024);
        assertDecodedTo(new RequestBodyDecoder(8 * 1024 * 1024).decode("gzip, gzip", Unpooled.wrappedBuffer(outer),
                ALLOC), "{}".getBytes(StandardCharsets.US_ASCII));

        DecodedBody decoded = small.decode("gzip, gzip", Unpooled.wrappedBuffer(outer), ALLOC);

        assertThat(decoded.error().kind()).isEqualTo(ErrorKind.REQUEST_TOO_LARGE);
    }

    @Test
    void doesNotAllocateTheHugeContentSizeAZstdFrameDeclares() {
        // one frame declaring 10 GiB of content, with a 128 KiB window: decoded block by block until the cap
        ByteBuffer frame = zstdFrameHeader(false, 10L << 30);
        ByteBuf body = Unpooled.wrappedBuffer(withZeroBlocks(frame, 200));

        warmUp("zstd");
        long before = allocatedBytes();
        DecodedBody decoded = decoder.decode("zstd", body, ALLOC);

        assertThat(decoded.error().kind()).isEqualTo(ErrorKind.REQUEST_TOO_LARGE);
        assertThat(allocatedBytes() - before).isLessThan(CAP + 1024 * 1024);
    }

    @Test
    void refusesAZstdFrameWhoseWindowExceedsEightMebibytes() {
        // single segment: the window is the declared content size, 10 GiB; zstd must not reserve it
        ByteBuf huge = Unpooled.wrappedBuffer(withZeroBlocks(zstdFrameHeader(true, 10L << 30), 1));
        // a 16 MiB window descriptor, no content size
        ByteBuf wide = Unpooled.wrappedBuffer(withZeroBlocks(ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(0xFD2FB528).put((byte) 0x00).put((byte) (14 << 3)), 1));

        for (ByteBuf body : List.of(huge, wide)) {
            DecodedBody decoded = decoder.decode("zstd", body, ALLOC);
            assertThat(decoded.error().kind()).isEqualTo(ErrorKind.INVALID_BODY_ENCODING);
            assertThat(decoded.error().message()).contains("window over 8 MiB", "RFC 9659");
        }
    }

    @Test
    void decodesOnSeveralThreadsAtOnce() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<byte[]>> results = new ArrayList<>();
            String[] codings = {"gzip", "deflate", "br", "zstd"};
            for (int i = 0; i < 64; i++) {
                String coding = codings[i % codings.length];
                byte[] encoded = RequestBodies.encode(coding, JSON);
                results.add(threads.submit(() -> {
                    DecodedBody decoded = decoder.decode(coding, Unpooled.wrappedBuffer(encoded), ALLOC);
                    try {
                        return ByteBufUtil.getBytes(decoded.body());
                    } finally {
                        decoded.body().release();
                    }
                }));
            }
            for (Future<byte[]> result : results) {
                assertThat(result.get()).isEqualTo(JSON);
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void joinsSeveralContentEncodingLinesIntoOneList() {
        HttpHeaders headers = new DefaultHttpHeaders().add("Content-Encoding", "gzip").add("content-encoding", "br");
        assertThat(RequestBodyDecoder.contentEncoding(headers)).isEqualTo("gzip, br");
        assertThat(RequestBodyDecoder.contentEncoding(new DefaultHttpHeaders().add("Content-Encoding", "zstd")))
                .isEqualTo("zstd");
        assertThat(RequestBodyDecoder.contentEncoding(new DefaultHttpHeaders())).isNull();
    }

    // ---------------------------------------------------------------- helpers

    private static void assertDecodedTo(DecodedBody decoded, byte[] expected) {
        assertThat(decoded.error()).isNull();
        try {
            assertThat(ByteBufUtil.getBytes(decoded.body())).isEqualTo(expected);
        } finally {
            decoded.body().release();
        }
    }

    /** One small decode first, so that class loading is not counted as the decoder's memory. */
    private void warmUp(String coding) {
        assertDecodedTo(decoder.decode(coding, Unpooled.wrappedBuffer(RequestBodies.encode(coding, JSON)), ALLOC),
                JSON);
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** RFC 1952: one gzip member of {@code data}, with an FCOMMENT of {@code commentBytes} letters. */
    private static byte[] gzipWithComment(int commentBytes, byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {0x1f, (byte) 0x8b, 8, 0x10, 0, 0, 0, 0, 0, (byte) 0xff});
        byte[] comment = new byte[commentBytes];
        Arrays.fill(comment, (byte) 'a');
        out.write(comment);
        out.write(0);
        out.write(RequestBodies.encode("deflate-raw", data));
        CRC32 crc = new CRC32();
        crc.update(data);
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue())
                .putInt(data.length).array());
        return out.toByteArray();
    }

    private static byte[] repeat(byte[] part, int times) {
        byte[] all = new byte[part.length * times];
        for (int i = 0; i < times; i++) {
            System.arraycopy(part, 0, all, i * part.length, part.length);
        }
        return all;
    }

    /** RFC 8878 §3.1.1: magic, a descriptor with an 8-byte content size, and (unless single-segment) a 128 KiB window. */
    private static ByteBuffer zstdFrameHeader(boolean singleSegment, long contentSize) {
        ByteBuffer header = ByteBuffer.allocate(14).order(ByteOrder.LITTLE_ENDIAN).putInt(0xFD2FB528);
        header.put((byte) (singleSegment ? 0xE0 : 0xC0));
        if (!singleSegment) {
            header.put((byte) (7 << 3)); // window log 10 + 7 = 17
        }
        return header.putLong(contentSize);
    }

    /** The header, then {@code blocks} RLE blocks of 128 KiB of zeros (RFC 8878 §3.1.1.2), none marked last. */
    private static byte[] withZeroBlocks(ByteBuffer header, int blocks) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(header.array(), 0, header.position());
        int blockHeader = (128 * 1024) << 3 | 1 << 1; // size, type RLE, not last
        for (int i = 0; i < blocks; i++) {
            out.write(blockHeader & 0xFF);
            out.write(blockHeader >>> 8 & 0xFF);
            out.write(blockHeader >>> 16 & 0xFF);
            out.write(0);
        }
        return out.toByteArray();
    }

    /** Request bodies as clients send them: a chat JSON, compressed the way each coding's reference encoder does. */
    static final class RequestBodies {
        private RequestBodies() {
        }

        /** A chat completion request of about {@code bytes} bytes of varied text. */
        static byte[] chatJson(int bytes) {
            StringBuilder json = new StringBuilder("{\"model\":\"gpt-4o-mini\",\"stream\":true,\"messages\":[");
            String[] words = {"proxy", "stream", "token", "upstream", "latency", "budget", "the", "of", "model",
                    "request", "a", "and", "decode", "window", "netty", "buffer", "event", "loop"};
            int turn = 0;
            while (json.length() < bytes - 200) {
                json.append(turn == 0 ? "" : ",").append("{\"role\":\"").append(turn % 2 == 0 ? "user" : "assistant")
                        .append("\",\"content\":\"");
                for (int w = 0; w < 60; w++) {
                    json.append(words[(turn * 7 + w * w) % words.length]).append(w % 13 == 12 ? ". " : " ");
                }
                json.append("turn ").append(turn++).append("\"}");
            }
            return json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        }

        /** {@code data} in {@code coding}: gzip, deflate (zlib), deflate-raw (RFC 1951 alone), br, zstd. */
        static byte[] encode(String coding, byte[] data) {
            try {
                return switch (coding) {
                    case "gzip", "x-gzip" -> stream(data, GZIPOutputStream::new);
                    case "deflate" -> stream(data, DeflaterOutputStream::new);
                    case "deflate-raw" -> rawDeflate(data);
                    case "br" -> {
                        Brotli4jLoader.ensureAvailability();
                        yield Encoder.compress(data, new Encoder.Parameters().setQuality(5));
                    }
                    case "zstd" -> Zstd.compress(data, 3);
                    default -> throw new IllegalArgumentException("coding: " + coding);
                };
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static byte[] rawDeflate(byte[] data) throws IOException {
            Deflater deflater = new Deflater(6, true);
            try {
                return stream(data, out -> new DeflaterOutputStream(out, deflater));
            } finally {
                deflater.end();
            }
        }

        private interface Wrapper {
            OutputStream wrap(OutputStream out) throws IOException;
        }

        private static byte[] stream(byte[] data, Wrapper wrapper) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (OutputStream encoding = wrapper.wrap(out)) {
                encoding.write(data);
            }
            return out.toByteArray();
        }
    }
}
