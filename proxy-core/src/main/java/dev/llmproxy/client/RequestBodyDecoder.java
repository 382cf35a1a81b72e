package dev.llmproxy.client;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdIOException;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.ProxyError;
import dev.llmproxy.openai.ProxyErrorException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.CompositeByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.StringJoiner;

/**
 * Undoes a request body's {@code Content-Encoding} (gzip, deflate, br, zstd, or a list of them, undone last first)
 * so that the proxy can read the JSON inside. The body cap applies to the <em>decoded</em> size: decoding streams into
 * an output that stops growing at the cap, so a bomb that would expand to gigabytes costs at most the cap plus one
 * buffer and ends in 413. Every intermediate layer of a list is held to the same cap.
 *
 * <p>Ownership: {@link #decode} takes the received body and releases it (or hands it back as the result, when there
 * is nothing to decode) on every path; the caller owns and releases {@link DecodedBody#body()}.
 *
 * <p>Threading: immutable and thread-safe. Decoding costs CPU in proportion to the decoded size (see README for the
 * measured rate); a caller may run large bodies on a worker thread.
 */
public final class RequestBodyDecoder {
    private static final Logger log = LoggerFactory.getLogger(RequestBodyDecoder.class);

    /** More codings than this on one body are refused: no client stacks them, and each layer costs a decoder. */
    static final int MAX_CODINGS = 3;
    private static final int READ_CHUNK_BYTES = 64 * 1024;
    private static final int MAX_QUOTED_CHARS = 40;
    private static final ContentCoding[] NONE = {};

    private final int maxDecodedBytes;
    private final String acceptEncoding;

    /**
     * @param maxDecodedBytes the largest decoded body, {@code MAX_REQUEST_BODY_BYTES}
     */
    public RequestBodyDecoder(int maxDecodedBytes) {
        if (maxDecodedBytes < 1) {
            throw new IllegalArgumentException("maxDecodedBytes: " + maxDecodedBytes + " (expected: >= 1)");
        }
        this.maxDecodedBytes = maxDecodedBytes;
        StringJoiner accepted = new StringJoiner(", ");
        for (ContentCoding coding : ContentCoding.values()) {
            if (coding.available()) { // loads the native decoders now, at start-up, not on a first request
                accepted.add(coding.token());
            } else {
                log.warn("request bodies in Content-Encoding {} will be refused with 415: its native decoder does"
                        + " not load on this platform", coding.token());
            }
        }
        this.acceptEncoding = accepted.toString();
    }

    /**
     * The request's {@code Content-Encoding}, several header lines joined as one list (RFC 9110 §5.3); null when
     * absent.
     */
    public static String contentEncoding(HttpHeaders headers) {
        if (!headers.contains(HttpHeaderNames.CONTENT_ENCODING)) {
            return null;
        }
        List<String> values = headers.getAll(HttpHeaderNames.CONTENT_ENCODING);
        return values.size() == 1 ? values.get(0) : String.join(", ", values);
    }

    /** True when a body with this {@code Content-Encoding} needs no decoding: none, blank, or only {@code identity}. */
    public static boolean isIdentity(String contentEncoding) {
        if (contentEncoding == null) {
            return true;
        }
        int length = contentEncoding.length();
        for (int start = 0; start < length; ) {
            int comma = indexOf(contentEncoding, ',', start);
            int from = skipBlanks(contentEncoding, start, comma);
            int to = trimBlanks(contentEncoding, from, comma);
            if (from < to && !ContentCoding.isIdentity(contentEncoding, from, to)) {
                return false;
            }
            start = comma + 1;
        }
        return true;
    }

    /**
     * The 415 to answer for a {@code Content-Encoding} the proxy cannot undo, or null: meant for the request head, so
     * an unusable body is refused before it is read.
     */
    public ProxyError check(String contentEncoding) {
        try {
            parse(contentEncoding);
            return null;
        } catch (ProxyErrorException e) {
            return e.error();
        }
    }

    /**
     * Decodes {@code body} as {@code contentEncoding} says. Takes ownership of {@code body}. An empty body stays
     * empty whatever the coding (there is nothing to decode).
     *
     * @return the decoded body (the caller releases it), or: 415 {@code unsupported_content_encoding} for a coding
     *     the proxy cannot undo; 413 {@code request_too_large} when the decoded body (or an intermediate layer) would
     *     exceed the cap; 400 {@code invalid_body_encoding} naming the coding whose data is corrupt or truncated
     */
    public DecodedBody decode(String contentEncoding, ByteBuf body, ByteBufAllocator alloc) {
        ContentCoding[] codings;
        try {
            codings = parse(contentEncoding);
        } catch (ProxyErrorException e) {
            body.release();
            return DecodedBody.failed(e.error());
        }
        if (codings.length == 0 || !body.isReadable()) {
            return DecodedBody.of(body);
        }
        InputStream in = new ByteBufInputStream(body);
        ContentCoding building = null;
        try {
            for (int i = codings.length - 1; i >= 0; i--) { // the last coding listed was applied last
                building = codings[i];
                in = new Layer(building, building.decoding(in), maxDecodedBytes);
            }
            building = null;
            return DecodedBody.of(readAll(in, alloc));
        } catch (DecodedTooLarge e) {
            return DecodedBody.failed(tooLarge(contentEncoding));
        } catch (LayerFailure e) {
            return DecodedBody.failed(invalid(e.coding, e.getCause()));
        } catch (IOException | RuntimeException e) {
            if (building == null) {
                throw new IllegalStateException("decoding a request body failed outside its decoders", e);
            }
            // a decoder checks its header as it is built (gzip does): the data of that coding is bad
            return DecodedBody.failed(invalid(building, e));
        } finally {
            closeQuietly(in);
            body.release();
        }
    }

    /** What a 415 sends in {@code Accept-Encoding}: the codings this proxy decodes (RFC 9110 §12.5.3). */
    public String acceptEncoding() {
        return acceptEncoding;
    }

    /** The codings in the order they were applied; empty when there are none but {@code identity}. */
    private ContentCoding[] parse(String contentEncoding) {
        if (contentEncoding == null) {
            return NONE;
        }
        ContentCoding[] found = NONE;
        int count = 0;
        int length = contentEncoding.length();
        for (int start = 0; start < length; ) {
            int comma = indexOf(contentEncoding, ',', start);
            int from = skipBlanks(contentEncoding, start, comma);
            int to = trimBlanks(contentEncoding, from, comma);
            start = comma + 1;
            if (from == to || ContentCoding.isIdentity(contentEncoding, from, to)) {
                continue; // empty list elements are allowed (RFC 9110 §5.6.1); identity changes nothing
            }
            ContentCoding coding = ContentCoding.of(contentEncoding, from, to);
            if (coding == null || !coding.available()) {
                throw unsupported("Content-Encoding '" + PrintableText.of(contentEncoding.substring(from, to),
                        MAX_QUOTED_CHARS) + "' is not supported; send the body uncompressed or as " + acceptEncoding);
            }
            if (count == MAX_CODINGS) {
                throw unsupported("Content-Encoding lists more than " + MAX_CODINGS + " codings: "
                        + PrintableText.of(contentEncoding, MAX_QUOTED_CHARS));
            }
            if (found == NONE) {
                found = new ContentCoding[MAX_CODINGS];
            }
            found[count++] = coding;
        }
        if (count == found.length) {
            return found;
        }
        ContentCoding[] exact = new ContentCoding[count];
        System.arraycopy(found, 0, exact, 0, count);
        return exact;
    }

    private ProxyErrorException unsupported(String message) {
        return new ProxyErrorException(ProxyError.of(ErrorKind.UNSUPPORTED_CONTENT_ENCODING, message)
                .withHeader(HttpHeaderNames.ACCEPT_ENCODING.toString(), acceptEncoding));
    }

    private ProxyError tooLarge(String contentEncoding) {
        return ProxyError.of(ErrorKind.REQUEST_TOO_LARGE, "Request too large. Maximum size is " + maxDecodedBytes
                + " bytes after decoding Content-Encoding " + PrintableText.of(contentEncoding, MAX_QUOTED_CHARS));
    }

    private static ProxyError invalid(ContentCoding coding, Throwable cause) {
        String reason;
        if (cause instanceof ZstdIOException zstd && zstd.getErrorCode() == Zstd.errFrameParameterWindowTooLarge()) {
            reason = "the frame needs a window over 8 MiB (RFC 9659 limits the zstd content coding to 8 MiB)";
        } else {
            reason = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        }
        return ProxyError.of(ErrorKind.INVALID_BODY_ENCODING, "request body is not valid " + coding.token()
                + " data (Content-Encoding): " + PrintableText.of(reason, 120));
    }

    /**
     * Reads {@code in} to its end into buffers of {@link #READ_CHUNK_BYTES} gathered in one composite, so the output
     * is never copied to grow and a body over the cap costs at most the cap plus one buffer. At the cap one more
     * byte is asked for: if there is one, the body is too large (the outermost {@link Layer} already throws on it).
     */
    private ByteBuf readAll(InputStream in, ByteBufAllocator alloc) throws IOException {
        CompositeByteBuf decoded = alloc.compositeBuffer(maxDecodedBytes / READ_CHUNK_BYTES + 2);
        try {
            int total = 0;
            boolean end = false;
            while (!end) {
                int room = maxDecodedBytes - total;
                if (room == 0) {
                    if (in.read() >= 0) {
                        throw new DecodedTooLarge();
                    }
                    break;
                }
                ByteBuf chunk = alloc.buffer(Math.min(room, READ_CHUNK_BYTES));
                end = fill(chunk, in);
                if (chunk.isReadable()) {
                    total += chunk.readableBytes();
                    decoded.addComponent(true, chunk);
                } else {
                    chunk.release();
                }
            }
            return decoded;
        } catch (IOException | RuntimeException e) {
            decoded.release();
            throw e;
        }
    }

    /** Fills {@code chunk} from {@code in}; true when {@code in} ended. Releases {@code chunk} if reading fails. */
    private static boolean fill(ByteBuf chunk, InputStream in) throws IOException {
        try {
            while (chunk.isWritable()) {
                if (chunk.writeBytes(in, chunk.writableBytes()) < 0) {
                    return true;
                }
            }
            return false;
        } catch (IOException | RuntimeException e) {
            chunk.release();
            throw e;
        }
    }

    private static int indexOf(String s, char c, int from) {
        int i = s.indexOf(c, from);
        return i < 0 ? s.length() : i;
    }

    private static int skipBlanks(String s, int from, int end) {
        while (from < end && (s.charAt(from) == ' ' || s.charAt(from) == '\t')) {
            from++;
        }
        return from;
    }

    private static int trimBlanks(String s, int from, int end) {
        while (end > from && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) {
            end--;
        }
        return end;
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException | RuntimeException e) {
            log.debug("closing a request body decoder failed", e);
        }
    }

    /**
     * The output of one coding's decoder: counts it against the cap and tags its failures with the coding, so that
     * with several layers the error names the one whose data is bad.
     */
    private static final class Layer extends FilterInputStream {
        private final ContentCoding coding;
        private final int maxBytes;
        private long produced;

        Layer(ContentCoding coding, InputStream decoding, int maxBytes) {
            super(decoding);
            this.coding = coding;
            this.maxBytes = maxBytes;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = in.read(b, off, (int) Math.min(len, maxBytes + 1L - produced));
            } catch (LayerFailure | DecodedTooLarge e) {
                throw e; // from a layer inside this one, already tagged
            } catch (IOException | RuntimeException e) {
                throw new LayerFailure(coding, e);
            }
            if (n > 0) {
                produced += n;
                if (produced > maxBytes) {
                    throw new DecodedTooLarge();
                }
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            return read(new byte[(int) Math.min(n, 8192)]); // through read, so skipped bytes count too
        }
    }

    /** A layer's output passed the cap. No stack trace: a client's oversized body, not a fault. */
    private static final class DecodedTooLarge extends IOException {
        private static final long serialVersionUID = 1L;

        @Override
        public Throwable fillInStackTrace() {
            return this;
        }
    }

    /** A coding's data failed to decode; the cause says why. No stack trace of its own. */
    private static final class LayerFailure extends IOException {
        private static final long serialVersionUID = 1L;
        private final transient ContentCoding coding;

        LayerFailure(ContentCoding coding, Throwable cause) {
            super(cause.getMessage(), cause);
            this.coding = coding;
        }

        @Override
        public Throwable fillInStackTrace() {
            return this;
        }
    }
}
