package dev.llmproxy.client;

import org.jctools.queues.MpscArrayQueue;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes access lines to standard output in batches, off the event loops: an event loop hands a line over with one
 * lock-free offer (no wake-up, no system call, never a wait), and one writer thread drains them every
 * {@link #DRAIN_PAUSE_MS} into buffered writes of whole lines. A line that finds the queue full is dropped and counted
 * ({@link #dropped}). Lines look like the rest of the log: {@code 2026-12-02T22:46:21.035Z INFO  access - …}.
 *
 * <p>It replaces a logback {@code AsyncAppender}, which woke its worker and wrote (and flushed) stdout once per line:
 * with the access log on, the proxy spent about 40% more CPU per request.
 *
 * <p>Threading: {@link #offer} from any thread; the writer thread owns the output stream; {@link #close} from any
 * thread, once.
 */
public final class AccessLogWriter implements AutoCloseable {
    static final int QUEUE_CAPACITY = 64 * 1024;
    static final long DRAIN_PAUSE_MS = 20;
    /**
     * Largest single write: POSIX makes a pipe write of at most {@code PIPE_BUF} (4096 on Linux) bytes atomic, so a
     * line of another thread's log (logback writes stdout too) never lands inside an access line.
     */
    static final int WRITE_BYTES = 4096;
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneId.systemDefault());
    private static final byte[] LEVEL_AND_LOGGER = " INFO  access - ".getBytes(StandardCharsets.US_ASCII);

    private static volatile AccessLogWriter stdout;

    private final MpscArrayQueue<Line> queue = new MpscArrayQueue<>(QUEUE_CAPACITY);
    private final LongAdder dropped = new LongAdder();
    private final OutputStream out;
    /** One line assembled before it goes to {@link #out} in one piece, so a buffer's write ends on a line's end. */
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(512);
    private final Thread writer;
    private volatile boolean closing;

    private record Line(long epochMillis, String text) {
    }

    /**
     * Writes to {@code out}, which the writer thread owns from now on; each line reaches it in one {@code write} call
     * (a {@code BufferedOutputStream} of {@link #WRITE_BYTES} then sends whole lines per system call).
     */
    AccessLogWriter(OutputStream out) {
        this.out = out;
        this.writer = new Thread(this::run, "llm-proxy-access-log");
        writer.setDaemon(true);
        writer.start();
    }

    /** The process's writer to standard output, started on first use; its lines are flushed at JVM exit. */
    public static AccessLogWriter stdout() {
        AccessLogWriter w = stdout;
        if (w == null) {
            synchronized (AccessLogWriter.class) {
                w = stdout;
                if (w == null) {
                    w = new AccessLogWriter(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out),
                            WRITE_BYTES));
                    Runtime.getRuntime().addShutdownHook(new Thread(w::close, "llm-proxy-access-log-flush"));
                    stdout = w;
                }
            }
        }
        return w;
    }

    /** Queues one line (without its line break); false when the queue was full and the line was dropped. */
    public boolean offer(String line) {
        if (queue.offer(new Line(System.currentTimeMillis(), line))) {
            return true;
        }
        dropped.increment();
        return false;
    }

    /** Lines dropped because the queue was full, since start. */
    public long dropped() {
        return dropped.sum();
    }

    private void run() {
        byte[] secondPrefix = null; // "2026-12-02T22:46:21." for the current second
        byte[] zone = null;         // "Z" or "+02:00": changes only on a second's boundary
        long second = Long.MIN_VALUE;
        while (true) {
            boolean stop = closing;
            int written = 0;
            Line line;
            try {
                while ((line = queue.poll()) != null) {
                    long s = line.epochMillis() / 1000;
                    if (s != second) {
                        second = s;
                        String full = TIME.format(Instant.ofEpochMilli(line.epochMillis()));
                        secondPrefix = full.substring(0, 20).getBytes(StandardCharsets.US_ASCII);
                        zone = full.substring(23).getBytes(StandardCharsets.US_ASCII);
                    }
                    write(secondPrefix, zone, line.epochMillis(), line.text());
                    written++;
                }
                if (written > 0) {
                    out.flush();
                }
            } catch (IOException e) {
                // stdout is gone (a closed pipe): the lines have nowhere to go; keep draining so offers never fail
            }
            if (stop) {
                return;
            }
            if (written == 0) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(DRAIN_PAUSE_MS));
            }
        }
    }

    private void write(byte[] secondPrefix, byte[] zone, long epochMillis, String text) throws IOException {
        line.reset();
        line.write(secondPrefix);
        int millis = (int) Math.floorMod(epochMillis, 1000L);
        line.write('0' + millis / 100);
        line.write('0' + millis / 10 % 10);
        line.write('0' + millis % 10);
        line.write(zone);
        line.write(LEVEL_AND_LOGGER);
        line.write(text.getBytes(StandardCharsets.UTF_8));
        line.write('\n');
        line.writeTo(out);
    }

    /** Writes what is queued and stops the writer thread; waits at most a second. */
    @Override
    public void close() {
        closing = true;
        LockSupport.unpark(writer);
        try {
            writer.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
