package dev.llmproxy.client;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.decoder.BrotliInputStream;
import com.github.luben.zstd.BufferPool;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.util.Native;
import io.netty.util.concurrent.FastThreadLocal;

import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.ByteBuffer;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * A content coding (RFC 9110 §8.4.1) that a request body may arrive in, and the stream that undoes it. Every decoder
 * here streams: it holds one input buffer and the format's window (gzip and deflate 32 KiB, br at most 16 MiB, zstd at
 * most {@link #ZSTD_WINDOW_LOG_MAX}), never the whole output, so the caller alone decides how much output to take.
 *
 * <p>Threading: the constants are immutable; each {@link #decoding} stream belongs to the one thread reading it.
 */
enum ContentCoding {
    GZIP("gzip") {
        @Override
        InputStream decoding(InputStream compressed) throws IOException {
            // reads the gzip header at once: a body that is not gzip fails here, with ZipException
            return new GZIPInputStream(compressed, INPUT_BUFFER_BYTES);
        }
    },
    /**
     * HTTP's "deflate" is the zlib format (RFC 1950); some clients send raw deflate (RFC 1951) under that name, as
     * browsers have long accepted. A zlib header is recognisable by its first two bytes, so both are decoded.
     */
    DEFLATE("deflate") {
        @Override
        InputStream decoding(InputStream compressed) throws IOException {
            PushbackInputStream in = new PushbackInputStream(compressed, 2);
            int cmf = in.read();
            int flg = cmf < 0 ? -1 : in.read();
            if (flg >= 0) {
                in.unread(flg);
            }
            if (cmf >= 0) {
                in.unread(cmf);
            }
            return new OwnInflaterInputStream(in, new Inflater(!isZlibHeader(cmf, flg)));
        }
    },
    BROTLI("br") {
        @Override
        InputStream decoding(InputStream compressed) throws IOException {
            return new BrotliInputStream(compressed, INPUT_BUFFER_BYTES);
        }

        @Override
        boolean available() {
            return NativeCodecs.BROTLI;
        }
    },
    ZSTD("zstd") {
        @Override
        InputStream decoding(InputStream compressed) throws IOException {
            ZstdInputStreamNoFinalizer in = new ZstdInputStreamNoFinalizer(compressed, PerThreadZstdBuffer.POOL);
            try {
                return in.setLongMax(ZSTD_WINDOW_LOG_MAX);
            } catch (IOException | RuntimeException e) {
                in.close();
                throw e;
            }
        }

        @Override
        boolean available() {
            return NativeCodecs.ZSTD;
        }
    };

    /**
     * RFC 9659: a zstd content coding uses a window of at most 8 MiB, and a decoder may refuse a larger one. Refusing it
     * keeps a frame that declares a huge window (or a huge single-segment content size) from reserving that memory.
     */
    static final int ZSTD_WINDOW_LOG_MAX = 23;

    private static final int INPUT_BUFFER_BYTES = 8192;

    private final String token;

    ContentCoding(String token) {
        this.token = token;
    }

    /** The name as written in {@code Content-Encoding}. */
    String token() {
        return token;
    }

    /**
     * A stream of the decoded bytes of {@code compressed}. Closing it closes {@code compressed} and frees the decoder's
     * native state. When this method throws, the caller closes {@code compressed} (a second close is harmless).
     */
    abstract InputStream decoding(InputStream compressed) throws IOException;

    /** False when the decoder's native library cannot load on this platform; such a coding is refused like an unknown one. */
    boolean available() {
        return true;
    }

    /**
     * The coding a {@code Content-Encoding} list element names, ignoring case ({@code x-gzip} is gzip, RFC 9110
     * §8.4.1.3); null for {@code identity} and for names the proxy does not know.
     */
    static ContentCoding of(CharSequence name, int start, int end) {
        int length = end - start;
        for (ContentCoding coding : values()) {
            if (regionEquals(name, start, length, coding.token)) {
                return coding;
            }
        }
        return regionEquals(name, start, length, "x-gzip") ? GZIP : null;
    }

    static boolean isIdentity(CharSequence name, int start, int end) {
        return regionEquals(name, start, end - start, "identity");
    }

    private static boolean regionEquals(CharSequence s, int start, int length, String lowerCase) {
        if (length != lowerCase.length()) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (Character.toLowerCase(s.charAt(start + i)) != lowerCase.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** RFC 1950 §2.2: method 8 (deflate), a window of at most 32 KiB, and a header that is a multiple of 31. */
    private static boolean isZlibHeader(int cmf, int flg) {
        return cmf >= 0 && flg >= 0 && (cmf & 0x0F) == 8 && (cmf >>> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
    }

    /** An inflater stream that ends its own {@link Inflater} on close (the JDK's ends only the one it created). */
    private static final class OwnInflaterInputStream extends InflaterInputStream {
        OwnInflaterInputStream(InputStream in, Inflater inflater) {
            super(in, inflater, INPUT_BUFFER_BYTES);
        }

        @Override
        public void close() throws IOException {
            try {
                super.close();
            } finally {
                inf.end();
            }
        }
    }

    /**
     * Keeps one zstd input buffer (128 KiB) per thread: a decoder takes it while it runs and gives it back when it
     * closes, on the same thread, so a request allocates none (it saved about 10 µs per body, a third of zstd's fixed
     * cost). A second zstd layer of the same body finds it taken and allocates its own.
     */
    private static final class PerThreadZstdBuffer implements BufferPool {
        static final PerThreadZstdBuffer POOL = new PerThreadZstdBuffer();
        private final FastThreadLocal<ByteBuffer> idle = new FastThreadLocal<>();

        @Override
        public ByteBuffer get(int capacity) {
            ByteBuffer buffer = idle.get();
            if (buffer == null || buffer.capacity() < capacity) {
                return ByteBuffer.allocate(capacity);
            }
            idle.set(null);
            buffer.clear();
            return buffer;
        }

        @Override
        public void release(ByteBuffer buffer) {
            idle.set(buffer);
        }
    }

    /** Whether the native decoders load here, found out once (first use of br or zstd loads the library). */
    private static final class NativeCodecs {
        static final boolean BROTLI = Brotli4jLoader.isAvailable();
        static final boolean ZSTD = loadZstd();

        private static boolean loadZstd() {
            try {
                Native.load();
                return true;
            } catch (LinkageError | RuntimeException e) {
                return false;
            }
        }
    }
}
