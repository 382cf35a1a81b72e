package dev.llmproxy.testing;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakTracker;

import java.util.function.Consumer;

/**
 * A {@link ResourceLeakDetector} that hands every leak report to a sink as well as logging it, so that a
 * test run can fail on a leak instead of merely printing it.
 *
 * <p>Netty reports leaks lazily: a leaked object's tracker is enqueued on the detector's reference queue once the
 * GC has cleared it, and the queue is drained only when the same detector tracks a new object.
 * {@link #pollReferenceQueue()} forces that drain by tracking and closing a throwaway probe.
 *
 * <p>Threading: thread-safe, as the base class is; the sink must be thread-safe.
 */
final class RecordingLeakDetector<T> extends ResourceLeakDetector<T> {

    private final String resourceType;
    private final Consumer<LeakReport> sink;

    RecordingLeakDetector(Class<?> resourceType, int samplingInterval, Consumer<LeakReport> sink) {
        super(resourceType, samplingInterval);
        this.resourceType = resourceType.getSimpleName();
        this.sink = sink;
    }

    String resourceType() {
        return resourceType;
    }

    /** Reports whatever the GC has already enqueued for this detector. */
    void pollReferenceQueue() {
        // The tracker only keeps the probe's identity hash; any object stands in for T after erasure.
        @SuppressWarnings("unchecked")
        T probe = (T) new Object();
        ResourceLeakTracker<T> tracker = trackForcibly(probe);
        tracker.close(probe);
    }

    /** Report even when the error log is switched off: the base class would silently drop the queue then. */
    @Override
    protected boolean needReport() {
        return true;
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        sink.accept(new LeakReport(resourceType, records));
        super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        sink.accept(new LeakReport(resourceType, ""));
        super.reportUntracedLeak(resourceType);
    }
}
