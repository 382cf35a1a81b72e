package dev.llmproxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upstream on {@code 127.0.0.1} that speaks HTTP/1.1 with raw bytes, for faults an HTTP codec cannot produce: a
 * malformed status line, a body shorter or longer than its {@code Content-Length}, an interim {@code 1xx}, a reset
 * after some bytes, a head and then silence, a connection closed under the proxy's pool, a listener that goes away
 * and comes back on the same port ({@link #stopListening}, {@link #listenAgain}).
 *
 * <p>Each connection has its own thread, which reads one request at a time (head, then a {@code Content-Length}
 * body) and hands it to the current {@link Script}; when the script returns with the connection still open, the
 * next request on it is read (keep-alive). {@code GET …/models} is answered by the fake itself with one model,
 * {@code m}, then closed; it is neither recorded nor scripted.
 *
 * <p>Threading: scripts run on the connection's own thread and may block it (that is how a stall is written);
 * everything else here is thread-safe.
 */
public final class FaultyUpstream implements AutoCloseable {

    /** What the fake does with one request on one connection: writes, pauses, closes or resets through it. */
    @FunctionalInterface
    public interface Script {
        void answer(String requestHead, Connection connection) throws IOException;
    }

    private static final byte[] MODEL_LIST = ("{\"object\":\"list\",\"data\":[{\"id\":\"m\",\"object\":\"model\","
            + "\"created\":1,\"owned_by\":\"fake\"}]}").getBytes(StandardCharsets.UTF_8);

    private final int port;
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger connectionsOpened = new AtomicInteger();
    private volatile ServerSocket server;
    private volatile Script script = (head, c) -> c.write("HTTP/1.1 500 Internal Server Error\r\n"
            + "Content-Length: 0\r\n\r\n");
    private volatile boolean closed;

    private FaultyUpstream() throws IOException {
        this.server = listen(0);
        this.port = server.getLocalPort();
        accept(server);
    }

    public static FaultyUpstream start() {
        try {
            return new FaultyUpstream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code http://127.0.0.1:<port>/v1}: the base URL a proxy is configured with. */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + port + "/v1");
    }

    /** The script for requests read from now on. */
    public void script(Script script) {
        this.script = Objects.requireNonNull(script, "script");
    }

    /** The head of every scripted request so far (request line and headers). */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    /** Connections accepted since start, the model list's included. */
    public int connectionsOpened() {
        return connectionsOpened.get();
    }

    /** Connections open now: accepted and not yet closed by either side. */
    public int openConnections() {
        return open.size();
    }

    /** Closes the listening socket, so that connecting is refused; open connections stay. */
    public void stopListening() throws IOException {
        server.close();
    }

    /** Closes every open connection (FIN), as an upstream that goes down does. */
    public void closeConnections() throws IOException {
        for (Connection c : open) {
            c.close();
        }
    }

    /** Listens again on the same port after {@link #stopListening}. */
    public void listenAgain() throws IOException {
        ServerSocket again = listen(port);
        server = again;
        accept(again);
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Connection c : open) {
            c.socket.close();
        }
    }

    private static ServerSocket listen(int port) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        return s;
    }

    private void accept(ServerSocket listening) {
        Thread acceptor = new Thread(() -> {
            while (!listening.isClosed()) {
                try {
                    Socket s = listening.accept();
                    connectionsOpened.incrementAndGet();
                    Connection c = new Connection(s);
                    open.add(c);
                    Thread one = new Thread(() -> serve(c), "faulty-upstream-connection");
                    one.setDaemon(true);
                    one.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "faulty-upstream");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void serve(Connection c) {
        try (Socket s = c.socket) {
            InputStream in = s.getInputStream();
            while (!closed && !c.done) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                int length = contentLength(head);
                if (length > 0) {
                    in.readNBytes(length);
                }
                if (head.startsWith("GET ") && head.substring(0, head.indexOf('\r')).contains("/models")) {
                    // answered and closed, so that the connections left open are the pool's
                    c.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                            + "Content-Length: " + MODEL_LIST.length + "\r\n\r\n");
                    c.write(MODEL_LIST);
                    c.close();
                    return;
                }
                requests.add(head);
                script.answer(head, c);
            }
        } catch (IOException e) {
            // the proxy closed or reset the connection, or the script did
        } finally {
            open.remove(c);
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : b == '\r' ? 1 : 0;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static int contentLength(String head) {
        String lower = head.toLowerCase(Locale.ROOT);
        int at = lower.indexOf("\r\ncontent-length:");
        if (at < 0) {
            return 0;
        }
        int end = lower.indexOf("\r\n", at + 2);
        return Integer.parseInt(lower.substring(at + 17, end).trim());
    }

    /** One accepted connection, as a script sees it. Used by its own thread only. */
    public static final class Connection {
        private final Socket socket;
        private final OutputStream out;
        private volatile boolean done;

        Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.out = socket.getOutputStream();
        }

        /** Writes {@code text} (ISO-8859-1) and flushes it. */
        public void write(String text) throws IOException {
            write(text.getBytes(StandardCharsets.ISO_8859_1));
        }

        public void write(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        /** Writes {@code text} as one HTTP chunk. */
        public void chunk(String text) throws IOException {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            write(Integer.toHexString(bytes.length) + "\r\n");
            write(bytes);
            write("\r\n");
        }

        public void pause(Duration d) {
            try {
                Thread.sleep(d.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Sends nothing more and waits until the proxy closes the connection (a stall). */
        public void stall() throws IOException {
            InputStream in = socket.getInputStream();
            while (in.read() >= 0) {
                // whatever the proxy sends now is not answered
            }
            done = true;
        }

        /** Closes gracefully (FIN) after what was written. */
        public void close() throws IOException {
            done = true;
            socket.close();
        }

        /** Aborts with a TCP RST (SO_LINGER 0). */
        public void reset() throws IOException {
            done = true;
            try {
                socket.setSoLinger(true, 0);
            } catch (SocketException e) {
                // already gone
            }
            socket.close();
        }
    }
}
