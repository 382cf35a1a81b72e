package dev.llmproxy.bench.run;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The soak's misbehaving clients, on plain blocking sockets: streams abandoned after their first event (half with a
 * reset, half with a normal close) and slow readers — a small receive window drained a little at a time, so the proxy
 * holds a long stream under backpressure for a minute or more.
 *
 * <p>Threading: one thread for the aborts, one per slow reader; {@link #stop()} ends them all and closes their sockets.
 */
final class SoakChaos implements AutoCloseable {
    /**
     * Tokens of a slow reader's stream (about 150 bytes each on the wire): several megabytes, more than the kernel's
     * socket buffers on loopback hold, so the proxy's own backpressure (not the kernel) holds the rest.
     */
    static final int SLOW_STREAM_TOKENS = 30_000;
    static final int SLOW_READ_BYTES = 4096;
    static final long SLOW_READ_PAUSE_MS = 50;

    private final int port;
    private final String path;
    private final String model;
    private final List<Thread> threads = new ArrayList<>();
    private final List<Socket> open = new ArrayList<>();
    private volatile boolean stopping;

    final AtomicLong aborted = new AtomicLong();
    final AtomicLong abortFailures = new AtomicLong();
    final AtomicLong slowCompleted = new AtomicLong();
    final AtomicLong slowFailures = new AtomicLong();
    final AtomicLong slowBytes = new AtomicLong();

    SoakChaos(int port, String path, String model) {
        this.port = port;
        this.path = path;
        this.model = model;
    }

    /** Starts {@code abortsPerSecond} abandoned streams a second and {@code slowReaders} slow readers at all times. */
    void start(double abortsPerSecond, int slowReaders) {
        if (abortsPerSecond > 0) {
            long pauseNanos = (long) (1e9 / abortsPerSecond);
            threads.add(daemon("soak-aborts", () -> aborts(pauseNanos)));
        }
        for (int i = 0; i < slowReaders; i++) {
            threads.add(daemon("soak-slow-" + i, this::slowReader));
        }
    }

    private static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void aborts(long pauseNanos) {
        long next = System.nanoTime();
        boolean reset = false;
        while (!stopping) {
            next += pauseNanos;
            reset = !reset;
            try (Socket socket = connect(0)) {
                send(socket, 64, 0, 20);
                if (readUntil(socket.getInputStream(), "data:", 2)) {
                    aborted.incrementAndGet();
                } else {
                    abortFailures.incrementAndGet();
                }
                if (reset) {
                    socket.setSoLinger(true, 0); // the close sends a reset
                }
            } catch (IOException e) {
                if (!stopping) {
                    abortFailures.incrementAndGet();
                }
            } finally {
                forgetClosed();
            }
            long wait = next - System.nanoTime();
            if (wait > 0) {
                sleepNanos(wait);
            } else {
                next = System.nanoTime();
            }
        }
    }

    private void slowReader() {
        byte[] buffer = new byte[SLOW_READ_BYTES];
        while (!stopping) {
            try (Socket socket = connect(4096)) {
                send(socket, SLOW_STREAM_TOKENS, SLOW_STREAM_TOKENS, 0);
                InputStream in = socket.getInputStream();
                StringBuilder tail = new StringBuilder();
                int n;
                boolean done = false;
                while (!stopping && (n = in.read(buffer)) > 0) {
                    slowBytes.addAndGet(n);
                    tail.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
                    if (tail.indexOf("[DONE]") >= 0) {
                        done = true;
                        break;
                    }
                    if (tail.length() > 64) {
                        tail.delete(0, tail.length() - 16);
                    }
                    sleepNanos(SLOW_READ_PAUSE_MS * 1_000_000);
                }
                if (done) {
                    slowCompleted.incrementAndGet();
                } else if (!stopping) {
                    slowFailures.incrementAndGet();
                }
            } catch (IOException e) {
                if (!stopping) {
                    slowFailures.incrementAndGet();
                }
            } finally {
                forgetClosed();
            }
        }
    }

    private Socket connect(int receiveBuffer) throws IOException {
        Socket socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        synchronized (open) {
            if (stopping) {
                throw new IOException("stopping");
            }
            open.add(socket);
        }
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(120_000);
        return socket;
    }

    private void send(Socket socket, int maxTokens, int tokens, int tokenDelayMs) throws IOException {
        String body = "{\"model\":\"" + model + "\",\"stream\":true,\"max_tokens\":" + maxTokens
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"A soak stream.\"}]}";
        byte[] json = body.getBytes(StandardCharsets.UTF_8);
        String head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + json.length + "\r\nX-Demo-Token-Delay-Ms: " + tokenDelayMs + "\r\n"
                + (tokens > 0 ? "X-Demo-Tokens: " + tokens + "\r\n" : "") + "\r\n";
        OutputStream out = socket.getOutputStream();
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.write(json);
        out.flush();
    }

    /** Reads until {@code marker} was seen {@code times} times; false when the stream ended first. */
    private static boolean readUntil(InputStream in, String marker, int times) throws IOException {
        byte[] buffer = new byte[4096];
        StringBuilder seen = new StringBuilder();
        int n;
        while ((n = in.read(buffer)) > 0) {
            seen.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
            int count = 0;
            for (int at = seen.indexOf(marker); at >= 0; at = seen.indexOf(marker, at + 1)) {
                count++;
            }
            if (count >= times) {
                return true;
            }
        }
        return false;
    }

    private void forgetClosed() {
        synchronized (open) {
            open.removeIf(Socket::isClosed);
        }
    }

    private static void sleepNanos(long nanos) {
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Ends every thread; sockets still open are closed (a slow reader mid-stream leaves like a client that quits). */
    void stop() throws InterruptedException {
        stopping = true;
        synchronized (open) {
            for (Socket s : open) {
                try {
                    s.close();
                } catch (IOException e) {
                    // closing anyway
                }
            }
            open.clear();
        }
        for (Thread t : threads) {
            t.join(10_000);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
