package dev.llmproxy.client;

import dev.llmproxy.exchange.Durations;
import dev.llmproxy.exchange.ExchangeRecord;
import dev.llmproxy.metrics.Stage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per request on the {@code dev.llmproxy.access} logger: method, route template, status, duration, model,
 * bytes sent, and how it ended when it did not complete. Never a key, a prompt or a raw path. The logger is
 * asynchronous (logback.xml), so the event loop does not wait on stdout.
 */
final class AccessLog {
    private static final Logger log = LoggerFactory.getLogger("dev.llmproxy.access");

    /** Longest model string a log line quotes. */
    private static final int MAX_MODEL_CHARS = 200;

    private final boolean enabled;

    AccessLog(boolean enabled) {
        this.enabled = enabled;
    }

    void log(ExchangeRecord r) {
        if (!enabled || !log.isInfoEnabled()) {
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
        log.info(line.toString());
    }
}
