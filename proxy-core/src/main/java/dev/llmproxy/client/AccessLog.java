package dev.llmproxy.client;

import dev.llmproxy.exchange.Durations;
import dev.llmproxy.exchange.ExchangeRecord;
import dev.llmproxy.metrics.Stage;

/**
 * One line per request: method, route template, status, duration, model, bytes sent, and how it ended when it did
 * not complete. Never a key, a prompt or a raw path. Lines go to an {@link AccessLogWriter}, which writes them in
 * batches from its own thread, so the event loop neither waits on stdout nor wakes anyone.
 */
final class AccessLog {
    /** Longest model string a log line quotes. */
    private static final int MAX_MODEL_CHARS = 200;

    private final boolean enabled;
    private final AccessLogWriter writer;

    /** To standard output. */
    AccessLog(boolean enabled) {
        this(enabled, enabled ? AccessLogWriter.stdout() : null);
    }

    AccessLog(boolean enabled, AccessLogWriter writer) {
        this.enabled = enabled;
        this.writer = writer;
    }

    void log(ExchangeRecord r) {
        if (!enabled) {
            return;
        }
        StringBuilder line = new StringBuilder(128).append(r.method()).append(' ').append(r.route()).append(' ')
                .append(r.status()).append(' ');
        Durations.appendMillis(line, System.nanoTime() - r.startNanos()).append("ms model=");
        // the model is the client's string: escaped and cut, so it cannot forge or flood log lines
        line.append(r.model() == null ? "-" : PrintableText.of(r.model(), MAX_MODEL_CHARS));
        line.append(" bytes=").append(r.bytesOut());
        if (r.clientAborted()) {
            line.append(" client-abort@").append(r.endedAt().label());
        } else if (r.errorCode() != null) {
            line.append(" error=").append(r.errorCode());
            if (r.endedAt() != Stage.DONE) {
                line.append('@').append(r.endedAt().label());
            }
        }
        writer.offer(line.toString());
    }
}
