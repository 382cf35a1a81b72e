package dev.llmproxy.testing;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Locale;

/**
 * A blocking HTTP/1.1 client over a plain {@link Socket}, for tests that need what SDK clients hide: exact request
 * bytes, each piece of a streamed body the moment it arrives, pipelining, an abortive close, a reader that stops
 * reading. Requests are sent as written (no header is added); responses are read one at a time, head then body,
 * on the same connection for as long as the server keeps it open.
 *
 * <p>Bodies are decoded from their framing (chunked, Content-Length, close-delimited) incrementally, so
 * {@link #readBodyChunk} returns as soon as any body byte is there. {@code https} connects with TLS trusting
 * {@link TestCertificates}.
 *
 * <p>Threading: not thread-safe; one test thread drives a client. Every read takes a timeout and throws
 * {@link SocketTimeoutException} when it expires.
 */
public final class RawHttpClient implements Closeable {

    private static final int MAX_HEAD_BYTES = 64 * 1024;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final Socket tcp;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final Deque<String> sentMethods = new ArrayDeque<>();

    private byte[] buffer = new byte[16 * 1024];
    private int readIndex;
    private int writeIndex;
    private ResponseBodyDecoder body;

    private RawHttpClient(Socket tcp, Socket socket) throws IOException {
        this.tcp = tcp;
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Connects to {@code http://127.0.0.1:<port>}. */
    public static RawHttpClient connect(int port) throws IOException {
        return connect(URI.create("http://127.0.0.1:" + port));
    }

    /** Connects to the host and port of an {@code http} or {@code https} URL (the path is ignored). */
    public static RawHttpClient connect(URI baseUrl) throws IOException {
        return open(baseUrl, 0);
    }

    /**
     * Connects with the socket receive buffer set to {@code receiveBufferBytes} before the handshake, so the TCP
     * window stays that small: a test that then does not read is a slow client the server can fill in a few KiB.
     * (Linux doubles the value and enforces a floor of a couple of KiB.)
     */
    public static RawHttpClient connectSlowReader(URI baseUrl, int receiveBufferBytes) throws IOException {
        if (receiveBufferBytes <= 0) {
            throw new IllegalArgumentException("receiveBufferBytes: " + receiveBufferBytes + " (expected: > 0)");
        }
        return open(baseUrl, receiveBufferBytes);
    }

    private static RawHttpClient open(URI baseUrl, int receiveBufferBytes) throws IOException {
        boolean tls = "https".equalsIgnoreCase(baseUrl.getScheme());
        if (!tls && !"http".equalsIgnoreCase(baseUrl.getScheme())) {
            throw new IllegalArgumentException("baseUrl: " + baseUrl + " (expected: an http or https URL)");
        }
        int port = baseUrl.getPort() != -1 ? baseUrl.getPort() : tls ? 443 : 80;
        Socket tcp = new Socket();
        try {
            if (receiveBufferBytes > 0) {
                tcp.setReceiveBufferSize(receiveBufferBytes);
            }
            tcp.setTcpNoDelay(true);
            tcp.connect(new InetSocketAddress(baseUrl.getHost(), port), (int) CONNECT_TIMEOUT.toMillis());
            if (!tls) {
                return new RawHttpClient(tcp, tcp);
            }
            SSLSocket ssl = (SSLSocket) TestCertificates.clientSslContext().getSocketFactory()
                    .createSocket(tcp, baseUrl.getHost(), port, true);
            SSLParameters parameters = ssl.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            ssl.setSSLParameters(parameters);
            ssl.setSoTimeout((int) CONNECT_TIMEOUT.toMillis());
            ssl.startHandshake();
            return new RawHttpClient(tcp, ssl);
        } catch (IOException | RuntimeException e) {
            tcp.close();
            throw e;
        }
    }

    /**
     * Sends a request: {@code rawRequestHead} is the request line and header lines, sent as given except that line
     * endings become CRLF and the blank line is added if missing; then {@code body} verbatim. Nothing is added —
     * write {@code Host} and {@code Content-Length} yourself.
     */
    public void send(String rawRequestHead, byte[] body) throws IOException {
        String head = rawRequestHead.replace("\r\n", "\n").replace("\n", "\r\n");
        if (!head.endsWith("\r\n")) {
            head += "\r\n";
        }
        if (!head.endsWith("\r\n\r\n")) {
            head += "\r\n";
        }
        byte[] headBytes = head.getBytes(StandardCharsets.ISO_8859_1);
        byte[] request = Arrays.copyOf(headBytes, headBytes.length + body.length);
        System.arraycopy(body, 0, request, headBytes.length, body.length);
        sentMethods.add(head.substring(0, Math.max(0, head.indexOf(' '))).toUpperCase(Locale.ROOT));
        out.write(request);
        out.flush();
    }

    /** Sends a request without a body. */
    public void send(String rawRequestHead) throws IOException {
        send(rawRequestHead, new byte[0]);
    }

    /**
     * Sends bytes exactly as given — for malformed or partial requests. The client cannot tell a HEAD request from
     * these bytes, so a response to one read this way is assumed to have a body as its headers say.
     */
    public void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /**
     * Reads the next response head. Interim (1xx) responses are returned like any other, with no body. The body of
     * the previous response must have been read to its end first.
     */
    public ResponseHead readHead(Duration timeout) throws IOException {
        if (body != null && !body.complete()) {
            throw new IllegalStateException("the previous response body is not fully read (" + body.decodedBytes()
                    + " bytes so far)");
        }
        long deadline = deadline(timeout);
        int headEnd;
        while ((headEnd = indexOfBlankLine()) < 0) {
            if (writeIndex - readIndex > MAX_HEAD_BYTES) {
                throw new ProtocolException("response head longer than " + MAX_HEAD_BYTES + " bytes");
            }
            if (!fill(deadline, timeout)) {
                throw new EOFException("connection closed before a response head"
                        + (writeIndex > readIndex ? "; received: " + pendingText() : ""));
            }
        }
        ResponseHead head = ResponseHead.parse(new String(buffer, readIndex, headEnd - readIndex,
                StandardCharsets.ISO_8859_1));
        readIndex = headEnd + 4;
        boolean interim = head.status() / 100 == 1;
        String method = interim ? sentMethods.peek() : sentMethods.poll();
        body = interim ? ResponseBodyDecoder.none() : framing(head, method);
        return head;
    }

    /**
     * The next piece of the decoded body: whatever body bytes have arrived, returned as soon as there is at least
     * one, without waiting for the rest of the chunk; null once the body has ended. Throws
     * {@link SocketTimeoutException} if nothing arrives in time, {@link EOFException} if the connection closes
     * mid-body, {@link SocketException} if it is reset.
     */
    public byte[] readBodyChunk(Duration timeout) throws IOException {
        if (body == null) {
            throw new IllegalStateException("no response head has been read");
        }
        long deadline = deadline(timeout);
        ByteArrayOutputStream decoded = new ByteArrayOutputStream();
        while (true) {
            readIndex += body.decode(buffer, readIndex, writeIndex, decoded);
            if (decoded.size() > 0) {
                return decoded.toByteArray();
            }
            if (body.complete()) {
                return null;
            }
            if (!fill(deadline, timeout)) {
                body.endOfInput();
                return null;
            }
        }
    }

    /** The rest of the current body, decoded; all of it must arrive within {@code timeout}. */
    public byte[] readFullBody(Duration timeout) throws IOException {
        long deadline = deadline(timeout);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] piece;
        while ((piece = readBodyChunk(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) != null) {
            all.write(piece);
        }
        return all.toByteArray();
    }

    /**
     * Waits for the server to close or reset the connection, discarding anything it still sends. True if it did
     * within {@code timeout}, false if the connection is still open.
     */
    public boolean awaitClosedByPeer(Duration timeout) throws IOException {
        long deadline = deadline(timeout);
        try {
            while (true) {
                readIndex = writeIndex;
                if (!fill(deadline, timeout)) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true;
        }
    }

    /** Aborts the connection with a TCP RST (SO_LINGER 0), skipping any TLS close_notify. */
    public void abort() throws IOException {
        if (!tcp.isClosed()) {
            tcp.setSoLinger(true, 0);
            tcp.close();
        }
    }

    /** Closes the connection gracefully (TLS close_notify, then FIN). */
    @Override
    public void close() throws IOException {
        socket.close();
    }

    public int localPort() {
        return tcp.getLocalPort();
    }

    private static ResponseBodyDecoder framing(ResponseHead head, String method) throws ProtocolException {
        int status = head.status();
        if ("HEAD".equals(method) || status == 204 || status == 304) {
            return ResponseBodyDecoder.none();
        }
        String transferEncoding = String.join(",", head.headerValues("transfer-encoding")).toLowerCase(Locale.ROOT);
        if (transferEncoding.strip().endsWith("chunked")) {
            return ResponseBodyDecoder.chunked();
        }
        String contentLength = head.header("content-length");
        if (contentLength != null) {
            try {
                return ResponseBodyDecoder.fixedLength(Long.parseLong(contentLength.strip()));
            } catch (IllegalArgumentException e) {
                throw new ProtocolException("bad Content-Length: " + contentLength);
            }
        }
        return ResponseBodyDecoder.untilClose();
    }

    private int indexOfBlankLine() {
        for (int i = readIndex; i + 3 < writeIndex; i++) {
            if (buffer[i] == '\r' && buffer[i + 1] == '\n' && buffer[i + 2] == '\r' && buffer[i + 3] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** Reads more bytes into the buffer; false at end of stream. */
    private boolean fill(long deadline, Duration timeout) throws IOException {
        long remainingNanos = deadline - System.nanoTime();
        if (remainingNanos <= 0) {
            throw timedOut(timeout);
        }
        makeRoom();
        socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, (remainingNanos + 999_999) / 1_000_000)));
        int read;
        try {
            read = in.read(buffer, writeIndex, buffer.length - writeIndex);
        } catch (SocketTimeoutException e) {
            throw timedOut(timeout);
        }
        if (read < 0) {
            return false;
        }
        writeIndex += read;
        return true;
    }

    private void makeRoom() {
        if (readIndex == writeIndex) {
            readIndex = 0;
            writeIndex = 0;
        } else if (writeIndex == buffer.length) {
            if (readIndex > 0) {
                System.arraycopy(buffer, readIndex, buffer, 0, writeIndex - readIndex);
                writeIndex -= readIndex;
                readIndex = 0;
            } else {
                buffer = Arrays.copyOf(buffer, buffer.length * 2);
            }
        }
    }

    private SocketTimeoutException timedOut(Duration timeout) {
        return new SocketTimeoutException("nothing more arrived within " + timeout
                + (writeIndex > readIndex ? "; unconsumed: " + pendingText() : ""));
    }

    private String pendingText() {
        int length = Math.min(writeIndex - readIndex, 512);
        return '"' + new String(buffer, readIndex, length, StandardCharsets.ISO_8859_1)
                .replace("\r", "\\r").replace("\n", "\\n") + '"';
    }

    private static long deadline(Duration timeout) {
        return System.nanoTime() + timeout.toNanos();
    }
}
