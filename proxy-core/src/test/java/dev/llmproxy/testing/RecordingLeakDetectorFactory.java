package dev.llmproxy.testing;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;

/**
 * Creates {@link RecordingLeakDetector}s for every resource type Netty tracks (ByteBuf, OpenSSL engines, timers …),
 * remembers them so their reference queues can be polled on demand, and keeps the leak reports they make until
 * someone drains them.
 *
 * <p>Threading: thread-safe. Detectors are created from static initialisers on any thread, reports arrive on
 * whichever thread happens to allocate, and the test thread polls and drains.
 */
final class RecordingLeakDetectorFactory extends ResourceLeakDetectorFactory {

    private final Queue<RecordingLeakDetector<?>> detectors = new ConcurrentLinkedQueue<>();
    private final Queue<LeakReport> reports = new ConcurrentLinkedQueue<>();

    @Override
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval) {
        RecordingLeakDetector<T> detector = new RecordingLeakDetector<>(resource, samplingInterval, reports::add);
        detectors.add(detector);
        return detector;
    }

    /** {@code maxActive} has been ignored by Netty since 4.1; the two-argument form is the real one. */
    @Override
    @SuppressWarnings("deprecation") // abstract in the base class, so it must be implemented all the same
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                               long maxActive) {
        return newResourceLeakDetector(resource, samplingInterval);
    }

    /** Makes every detector report what the GC has enqueued so far. */
    void pollAll() {
        for (RecordingLeakDetector<?> detector : detectors) {
            detector.pollReferenceQueue();
        }
    }

    boolean created(ResourceLeakDetector<?> detector) {
        return detectors.contains(detector);
    }

    List<LeakReport> snapshot() {
        return List.copyOf(reports);
    }

    /** Removes and returns the reports that match. */
    List<LeakReport> drain(Predicate<LeakReport> filter) {
        List<LeakReport> drained = new ArrayList<>();
        for (LeakReport report : reports) {
            if (filter.test(report) && reports.remove(report)) {
                drained.add(report);
            }
        }
        return drained;
    }
}
