package dev.llmproxy.demo;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;

/**
 * Collects WARN and ERROR events from every logger (Netty's leak reports are ERRORs of
 * {@code io.netty.util.ResourceLeakDetector}), so a test can assert that a scenario logged no fault and leaked no
 * buffer.
 */
final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {
    private final ConcurrentLinkedQueue<ILoggingEvent> events = new ConcurrentLinkedQueue<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    static LogCapture install() {
        LogCapture capture = new LogCapture();
        capture.setName("demo-test-capture");
        capture.setContext(capture.root.getLoggerContext());
        capture.attach();
        return capture;
    }

    private void attach() {
        super.start();
        root.addAppender(this);
    }

    @Override
    protected void append(ILoggingEvent event) {
        if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
            events.add(event);
        }
    }

    /** "LOGGER LEVEL message" for every WARN/ERROR seen so far. */
    List<String> problems() {
        return events.stream()
                .map(e -> e.getLoggerName() + " " + e.getLevel() + " " + e.getFormattedMessage())
                .collect(Collectors.toList());
    }

    /**
     * Makes the leak detector look at buffers that became garbage: it reports only when a later buffer is tracked,
     * after a GC has queued the lost ones.
     */
    static void provokeLeakReports() throws InterruptedException {
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(20);
            for (int j = 0; j < 50; j++) {
                ByteBuf pooled = PooledByteBufAllocator.DEFAULT.directBuffer(16);
                pooled.release();
                ByteBuf heap = UnpooledByteBufAllocator.DEFAULT.heapBuffer(16);
                heap.release();
            }
        }
    }

    @Override
    public void close() {
        root.detachAppender(this);
        stop();
    }
}
