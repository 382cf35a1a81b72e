package dev.llmproxy.openai;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Every event of the {@code dev.llmproxy} loggers at every level, DEBUG included, while installed; so a test can say
 * what was logged, on which thread, and that a secret appears in none of it.
 */
final class CapturedLogs extends AppenderBase<ILoggingEvent> implements AutoCloseable {
    private final ConcurrentLinkedQueue<ILoggingEvent> events = new ConcurrentLinkedQueue<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger("dev.llmproxy");
    private final Level previousLevel = logger.getLevel();

    static CapturedLogs install() {
        CapturedLogs capture = new CapturedLogs();
        capture.setName("captured-logs");
        capture.setContext(capture.logger.getLoggerContext());
        capture.start();
        capture.logger.setLevel(Level.DEBUG);
        capture.logger.addAppender(capture);
        return capture;
    }

    @Override
    protected void append(ILoggingEvent event) {
        events.add(event);
    }

    /** "LEVEL message" of every event so far. */
    List<String> lines() {
        return events.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
    }

    /** The WARN and ERROR messages so far. */
    List<String> warnings() {
        return events.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    /** The thread that logged the first message containing {@code text}. */
    String threadOf(String text) {
        return events.stream().filter(e -> e.getFormattedMessage().contains(text)).findFirst()
                .map(ILoggingEvent::getThreadName).orElseThrow(() -> new AssertionError("no log line with " + text
                        + " in " + lines()));
    }

    @Override
    public void close() {
        logger.detachAppender(this);
        logger.setLevel(previousLevel);
        stop();
    }
}
