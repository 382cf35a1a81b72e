package dev.llmproxy.testing;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Drives {@link RawHttpClient} against a bare {@link ServerSocket} that writes exactly the bytes each test needs. */
class RawHttpClientTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final RawServer server = new RawServer();

    @AfterEach
    void closeServer() throws Exception {
        server.close();
    }

    @Test
    void decodesAChunkedBodySplitAtEveryOffset() throws Exception {
        byte[] response = bytes("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "f;ext=1\r\ndata: {\"a\":1}\n\n\r\n" + "E\r\ndata: [DONE]\n\n\r\n" + "0\r\nX-Trailer: t\r\n\r\n");
        String expectedBody = "data: {\"a\":1}\n\ndata: [DONE]\n\n";

        assertSplitAtEveryOffset(response, expectedBody);
    }

    @Test
    void decodesAContentLengthBodySplitAtEveryOffset() throws Exception {
        byte[] response = bytes("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world");

        assertSplitAtEveryOffset(response, "hello world");
    }

    @Test
    void returnsEachPieceOfTheBodyAsSoonAsItArrives() throws Exception {
        CountDownLatch firstRead = new CountDownLatch(1);
        CountDownLatch secondRead = new CountDownLatch(1);
        server.serve((in, out) -> {
            readRequestHead(in);
            write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n");
            await(firstRead);
            write(out, "c\r\nsecond");
            await(secondRead);
            write(out, "+half!\r\n0\r\n\r\n");
        });

        try (RawHttpClient client = RawHttpClient.connect(server.port())) {
            client.send("GET /stream HTTP/1.1\nHost: test");
            assertThat(client.readHead(TIMEOUT).status()).isEqualTo(200);

            assertThat(text(client.readBodyChunk(TIMEOUT))).isEqualTo("first");
            firstRead.countDown();
            assertThat(text(client.readBodyChunk(TIMEOUT))).as("half of a chunk, without waiting for the rest")
                    .isEqualTo("second");
            secondRead.countDown();
            assertThat(text(client.readBodyChunk(TIMEOUT))).isEqualTo("+half!");
            assertThat(client.readBodyChunk(TIMEOUT)).isNull();
        }
        server.awaitScript();
    }

    @Test
    void readsPipelinedResponsesInOrder() throws Exception {
        CompletableFuture<String> requestsSeen = new CompletableFuture<>();
        server.serve((in, out) -> {
            requestsSeen.complete(readRequestHead(in) + readRequestHead(in) + readRequestHead(in)
                    + new String(in.readNBytes(2), StandardCharsets.ISO_8859_1));
            // All three responses in one write: each must end exactly where the next begins.
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"
                    + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
                    + "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n");
        });

        try (RawHttpClient client = RawHttpClient.connect(server.port())) {
            client.send("GET /one HTTP/1.1\nHost: test");
            client.send("HEAD /head HTTP/1.1\nHost: test");
            client.send("POST /two HTTP/1.1\nHost: test\nContent-Length: 2", bytes("{}"));

            assertThat(client.readHead(TIMEOUT).status()).isEqualTo(200);
            assertThat(text(client.readFullBody(TIMEOUT))).isEqualTo("one");
            ResponseHead headResponse = client.readHead(TIMEOUT);
            assertThat(headResponse.header("content-length")).isEqualTo("5");
            assertThat(client.readFullBody(TIMEOUT)).as("a HEAD response has no body").isEmpty();
            assertThat(client.readHead(TIMEOUT).status()).isEqualTo(201);
            assertThat(text(client.readFullBody(TIMEOUT))).isEqualTo("two");
        }
        assertThat(requestsSeen.get(5, TimeUnit.SECONDS))
                .contains("GET /one", "HEAD /head", "POST /two").contains("Content-Length: 2\r\n\r\n{}");
    }

    @Test
    void sendsTheHeadWithCrlfLineEndingsAndABlankLine() throws Exception {
        CompletableFuture<byte[]> received = new CompletableFuture<>();
        byte[] expected = bytes("POST /v1/chat/completions HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\n\r\n{}");
        server.serve((in, out) -> received.complete(in.readNBytes(expected.length)));

        try (RawHttpClient client = RawHttpClient.connect(server.port())) {
            client.send("POST /v1/chat/completions HTTP/1.1\nHost: test\nContent-Length: 2\n", bytes("{}"));
            assertThat(received.get(5, TimeUnit.SECONDS)).isEqualTo(expected);
        }
    }

    @Test
    void timesOutWhenNothingArrivesAndStaysUsable() throws Exception {
        CountDownLatch timedOut = new CountDownLatch(1);
        server.serve((in, out) -> {
            readRequestHead(in);
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab");
            await(timedOut);
            write(out, "cd");
        });

        try (RawHttpClient client = RawHttpClient.connect(server.port())) {
            client.send("GET / HTTP/1.1\nHost: test");
            client.readHead(TIMEOUT);
            assertThat(text(client.readBodyChunk(TIMEOUT))).isEqualTo("ab");
            assertThatThrownBy(() -> client.readBodyChunk(Duration.ofMillis(100)))
                    .isInstanceOf(SocketTimeoutException.class);
            timedOut.countDown();
            assertThat(text(client.readFullBody(TIMEOUT))).isEqualTo("cd");
        }
    }

    @Test
    void readsACloseDelimitedBodyToTheEnd() throws Exception {
        server.serve((in, out) -> {
            readRequestHead(in);
            write(out, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the server closes");
        });

        try (RawHttpClient client = RawHttpClient.connect(server.port())) {
            client.send("GET / HTTP/1.1\nHost: test");
            client.readHead(TIMEOUT);
            assertThat(text(client.readFullBody(TIMEOUT))).isEqualTo("until the server closes");
        }
    }

    @Test
    void reportsAConnectionClosedMidBody() throws Exception {
        server.serve((in, out) -> {
            readRequestHead(in);
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
        });

        try (RawHttpClient client = RawHttpClient.connect(server.port())) {
            client.send("GET / HTTP/1.1\nHost: test");
            client.readHead(TIMEOUT);
            assertThatThrownBy(() -> client.readFullBody(TIMEOUT))
                    .isInstanceOf(EOFException.class).hasMessageContaining("7 bytes missing");
        }
    }

    @Test
    void abortResetsTheConnection() throws Exception {
        CountDownLatch requestRead = new CountDownLatch(1);
        CompletableFuture<Throwable> serverReadFailure = new CompletableFuture<>();
        server.serve((in, out) -> {
            readRequestHead(in);
            requestRead.countDown();
            try {
                serverReadFailure.complete(new AssertionError("read returned " + in.read()));
            } catch (IOException e) {
                serverReadFailure.complete(e);
            }
        });

        RawHttpClient client = RawHttpClient.connect(server.port());
        client.send("GET / HTTP/1.1\nHost: test");
        await(requestRead);
        client.abort();

        assertThat(serverReadFailure.get(5, TimeUnit.SECONDS))
                .isInstanceOf(SocketException.class).hasMessageContaining("reset");
    }

    @Test
    void slowReaderStopsTheServerUntilItReads() throws Exception {
        int total = 8 * 1024 * 1024;
        AtomicLong written = new AtomicLong();
        server.serve((in, out) -> {
            readRequestHead(in);
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + total + "\r\n\r\n");
            byte[] block = new byte[16 * 1024];
            Arrays.fill(block, (byte) 'x');
            for (int sent = 0; sent < total; sent += block.length) {
                out.write(block);
                written.addAndGet(block.length);
            }
            out.flush();
        });

        try (RawHttpClient client = RawHttpClient.connectSlowReader(server.uri(), 4096)) {
            client.send("GET /audio HTTP/1.1\nHost: test");
            Thread.sleep(300);
            assertThat(written.get()).as("bytes the server got rid of while the client did not read")
                    .isLessThan(total);

            client.readHead(TIMEOUT);
            assertThat(client.readFullBody(Duration.ofSeconds(30))).hasSize(total);
        }
        server.awaitScript();
    }

    private void assertSplitAtEveryOffset(byte[] response, String expectedBody) throws Exception {
        server.serve((in, out) -> {
            for (int split = 1; split < response.length; split++) {
                readRequestHead(in);
                out.write(response, 0, split);
                out.flush();
                Thread.sleep(1);
                out.write(response, split, response.length - split);
                out.flush();
            }
        });

        try (RawHttpClient client = RawHttpClient.connect(server.port())) {
            for (int split = 1; split < response.length; split++) {
                client.send("GET /" + split + " HTTP/1.1\nHost: test");
                assertThat(client.readHead(TIMEOUT).status()).as("split at %d", split).isEqualTo(200);
                assertThat(text(client.readFullBody(TIMEOUT))).as("split at %d", split).isEqualTo(expectedBody);
            }
        }
        server.awaitScript();
    }

    /** Reads one request head (through the blank line) and returns it. */
    private static String readRequestHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("client closed mid-head: " + head);
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(bytes(text));
        out.flush();
    }

    private static void await(CountDownLatch latch) throws InterruptedException {
        assertThat(latch.await(5, TimeUnit.SECONDS)).as("latch released").isTrue();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String text(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.ISO_8859_1);
    }

    /** Accepts one connection and runs a script on it on its own thread. */
    private static final class RawServer implements AutoCloseable {

        interface Script {
            void run(InputStream in, OutputStream out) throws Exception;
        }

        private final ServerSocket serverSocket;
        private final CompletableFuture<Void> script = new CompletableFuture<>();
        private volatile Socket accepted;

        RawServer() {
            try {
                serverSocket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        int port() {
            return serverSocket.getLocalPort();
        }

        java.net.URI uri() {
            return java.net.URI.create("http://127.0.0.1:" + port());
        }

        void serve(Script body) {
            Thread thread = new Thread(() -> {
                try (Socket socket = serverSocket.accept()) {
                    accepted = socket;
                    socket.setTcpNoDelay(true);
                    body.run(socket.getInputStream(), socket.getOutputStream());
                    script.complete(null);
                } catch (Throwable t) {
                    script.completeExceptionally(t);
                }
            }, "raw-server");
            thread.setDaemon(true);
            thread.start();
        }

        void awaitScript() throws Exception {
            script.get(30, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws IOException {
            serverSocket.close();
            Socket socket = accepted;
            if (socket != null) {
                socket.close();
            }
        }
    }
}
