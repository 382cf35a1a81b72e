package dev.llmproxy.client;

import dev.llmproxy.exchange.ExchangeRecord;
import dev.llmproxy.openai.ErrorKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AccessLogTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final AccessLogWriter writer = new AccessLogWriter(out);

    @AfterEach
    void close() {
        writer.close();
    }

    /** The lines written so far, once the writer has drained what was offered. */
    private List<String> lines(int expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            List<String> lines;
            synchronized (out) {
                lines = out.toString(StandardCharsets.UTF_8).lines().toList();
            }
            if (lines.size() >= expected || System.nanoTime() > deadline) {
                return lines;
            }
            Thread.sleep(5);
        }
    }

    private String logged(ExchangeRecord r) throws InterruptedException {
        new AccessLog(true, writer).log(r);
        List<String> lines = lines(1);
        assertThat(lines).hasSize(1);
        String line = lines.get(0);
        assertThat(line).as("the log's own format: time, level, logger")
                .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) INFO  access - .*");
        return line.substring(line.indexOf(" - ") + 3);
    }

    @Test
    void aModelStringCannotForgeALineNorFloodTheLog() throws Exception {
        ExchangeRecord r = new ExchangeRecord(System.nanoTime() - 1_234_567, "POST", "/v1/chat/completions");
        r.model("ok\r\nX-Injected: 1\u0000\u202e" + "x".repeat(10_000), "other");
        r.status(404);
        r.error(ErrorKind.MODEL_NOT_FOUND);
        String line = logged(r);
        assertThat(line).doesNotContain("\r", "\n", "\u0000", "\u202e")
                .contains("model=ok\\u000d\\u000aX-Injected: 1\\u0000\\u202e")
                .contains(" error=model_not_found");
        assertThat(line.length()).as("the model is cut").isLessThan(400);
        assertThat(line).matches("POST /v1/chat/completions 404 \\d+\\.\\d{3}ms model=.*");
    }

    @Test
    void durationsHaveThreeDecimalsAndAnOffLogSaysNothing() throws Exception {
        ExchangeRecord r = new ExchangeRecord(System.nanoTime(), "GET", "/health");
        r.status(200);
        assertThat(logged(r)).matches("GET /health 200 \\d+\\.\\d{3}ms model=- bytes=0");
        new AccessLog(false, writer).log(r);
        writer.offer("marker"); // lines keep their order: once it is written, an off log's line would be too
        List<String> lines = lines(2);
        assertThat(lines).hasSize(2);
        assertThat(lines.get(1)).endsWith(" - marker");
    }

    @Test
    void eachWriteToStdoutIsWholeLinesWithinAnAtomicPipeWrite() throws Exception {
        List<byte[]> writes = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.io.OutputStream recorder = new java.io.OutputStream() {
            @Override
            public void write(int b) {
                writes.add(new byte[] {(byte) b});
            }

            @Override
            public void write(byte[] b, int off, int len) {
                writes.add(java.util.Arrays.copyOfRange(b, off, off + len));
            }
        };
        AccessLogWriter batched = new AccessLogWriter(new java.io.BufferedOutputStream(recorder,
                AccessLogWriter.WRITE_BYTES));
        try {
            for (int i = 0; i < 1000; i++) {
                batched.offer("POST /v1/chat/completions 200 0.123ms model=gpt-4.1 bytes=" + i + " " + "x".repeat(i % 97));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (writes.stream().mapToInt(w -> new String(w, StandardCharsets.UTF_8).split("\n", -1).length - 1)
                    .sum() < 1000 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        } finally {
            batched.close();
        }
        assertThat(writes.size()).as("batched, not a write per line").isLessThan(200);
        for (byte[] w : writes) {
            assertThat(w.length).isLessThanOrEqualTo(AccessLogWriter.WRITE_BYTES);
            assertThat(w[w.length - 1]).as("a write ends on a line's end").isEqualTo((byte) '\n');
        }
    }

    @Test
    void linesKeepTheirOrderAndAFullQueueDropsAndCountsInsteadOfWaiting() throws Exception {
        AccessLogWriter stalled = new AccessLogWriter(new java.io.OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                try {
                    Thread.sleep(60_000); // stdout that does not drain
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException();
                }
            }
        });
        try {
            int accepted = 0;
            long start = System.nanoTime();
            for (int i = 0; i < AccessLogWriter.QUEUE_CAPACITY + 1000; i++) {
                if (stalled.offer("line " + i)) {
                    accepted++;
                }
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("offers never wait")
                    .isLessThan(Duration.ofSeconds(10));
            assertThat(stalled.dropped()).isGreaterThanOrEqualTo(1000 - 1);
            assertThat(accepted + stalled.dropped()).isEqualTo(AccessLogWriter.QUEUE_CAPACITY + 1000);
        } finally {
            stalled.close();
        }

        for (int i = 0; i < 500; i++) {
            writer.offer("line " + i);
        }
        List<String> lines = lines(500);
        assertThat(lines).hasSize(500);
        for (int i = 0; i < 500; i++) {
            assertThat(lines.get(i)).endsWith(" - line " + i);
        }
        assertThat(writer.dropped()).isZero();
    }
}
