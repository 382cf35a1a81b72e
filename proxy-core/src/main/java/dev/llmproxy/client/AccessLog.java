package dev.llmproxy.client;

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

    private final boolean enabled;

    AccessLog(boolean enabled) {
        this.enabled = enabled;
    }

    void log(ExchangeRecord r) {
        if (!enabled || !log.isInfoEnabled()) {
            return;
        }
        long micros = (System.nanoTime() - r.startNanos()) / 1000;
        String outcome = r.clientAborted() ? " client-abort@" + r.endedAt().label()
                : r.errorCode() != null ? " error=" + r.errorCode()
                + (r.endedAt() == Stage.DONE ? "" : "@" + r.endedAt().label()) : "";
        log.info("{} {} {} {}.{}ms model={} bytes={}{}", r.method(), r.route(), r.status(), micros / 1000,
                String.format("%03d", micros % 1000), r.model() == null ? "-" : r.model(), r.bytesOut(), outcome);
    }
}
