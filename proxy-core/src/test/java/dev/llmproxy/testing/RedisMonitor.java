package dev.llmproxy.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Every command a {@code redis-server} runs, as {@code MONITOR} reports it (one line each, e.g.
 * {@code +1733170000.123456 [0 127.0.0.1:5000] "EVALSHA" "ab12…" "3" "key" …}), collected by a daemon thread: what a
 * test counts round trips with. Threading: any thread reads {@link #lines()}.
 */
public final class RedisMonitor implements AutoCloseable {

    private final Socket socket = new Socket();
    private final List<String> lines = new ArrayList<>();

    public RedisMonitor(int port) throws IOException {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
        OutputStream out = socket.getOutputStream();
        out.write("*1\r\n$7\r\nMONITOR\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        if (!"+OK".equals(in.readLine())) {
            throw new IOException("MONITOR was not accepted");
        }
        Thread reader = new Thread(() -> {
            try {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    synchronized (lines) {
                        lines.add(line);
                    }
                }
            } catch (IOException closed) {
                // the test closed the monitor
            }
        }, "redis-monitor");
        reader.setDaemon(true);
        reader.start();
    }

    /** The commands seen so far whose line contains {@code text} (a key prefix, say). */
    public List<String> lines(String text) {
        synchronized (lines) {
            List<String> matching = new ArrayList<>();
            for (String line : lines) {
                if (line.contains(text)) {
                    matching.add(line);
                }
            }
            return matching;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
