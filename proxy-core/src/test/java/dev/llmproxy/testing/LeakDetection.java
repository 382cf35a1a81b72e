package dev.llmproxy.testing;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * Turns Netty's leak <em>logging</em> into leak <em>failures</em> for the test JVM.
 *
 * <h2>How it works</h2>
 * <ol>
 *   <li>{@link LeakDetectionSessionListener}, a JUnit Platform {@code LauncherSessionListener} registered through
 *       {@code META-INF/services}, calls {@link #install()} when the launcher session opens — before any test class
 *       runs, hence before {@code AbstractByteBuf} initialises and asks the factory for its detector (it asks once,
 *       in a static initialiser, so a factory set later would never see ByteBuf leaks). {@link #install()} makes
 *       {@link RecordingLeakDetectorFactory} Netty's factory; every detector it creates is a
 *       {@link RecordingLeakDetector}, which records each report besides logging it.</li>
 *   <li>Netty reports a leak only when (a) the GC has cleared the leaked object, which enqueues its tracker, and
 *       (b) the same detector later tracks another object and drains its queue. {@link #collect()} forces both:
 *       {@code System.gc()} + {@code runFinalization()}, wait until a sentinel weak reference has been enqueued
 *       (so the reference handler has run), then make every detector track and close a probe. Two rounds catch
 *       objects that were only reachable through finalizable ones. Cost: two full GCs, tens of milliseconds.</li>
 *   <li>{@link LeakDetectionExtension}, auto-registered for every Jupiter test class via
 *       {@code junit-platform.properties} + {@code META-INF/services}, checks before each class that the recorder
 *       is armed, and after each class calls {@link #collect()} and fails the class with the access records of
 *       every leak it finds (then drains them, so one leak fails one class, not all that follow).</li>
 * </ol>
 * A leak is blamed on the class after which it was first seen; a buffer kept reachable by a server the class
 * forgot to close is not a leak until that server dies, and is then blamed on a later class.
 *
 * <p>Threading: all methods are thread-safe. The state is JVM-global because Netty's factory is.
 */
public final class LeakDetection {

    private static final String LEVEL_PROPERTY = "io.netty.leakDetection.level";
    private static final int ROUNDS = 2;
    private static final long SENTINEL_WAIT_MILLIS = 500;

    private static final RecordingLeakDetectorFactory FACTORY = new RecordingLeakDetectorFactory();
    private static final AtomicBoolean INSTALLED = new AtomicBoolean();

    private LeakDetection() {
    }

    /**
     * Makes the recording factory Netty's leak detector factory; idempotent. Must run before Netty creates the
     * detectors of interest (notably the one in {@code AbstractByteBuf}'s static initialiser). Without an explicit
     * {@code -Dio.netty.leakDetection.level} it raises the level to paranoid, so an IDE run tracks every buffer
     * just as the Maven build does.
     */
    public static void install() {
        if (INSTALLED.compareAndSet(false, true)) {
            if (System.getProperty(LEVEL_PROPERTY) == null) {
                ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
            }
            ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(FACTORY);
        }
    }

    /**
     * Throws if ByteBuf leaks would go unrecorded: the recording factory is not installed, or Netty's ByteBuf
     * detector was created before it was (some code touched a ByteBuf before the launcher session opened).
     */
    public static void assertArmed() {
        if (!INSTALLED.get()) {
            throw new IllegalStateException("leak detection not armed: LeakDetection.install() never ran "
                    + "(is META-INF/services/org.junit.platform.launcher.LauncherSessionListener on the test classpath?)");
        }
        ResourceLeakDetector<?> byteBufDetector = byteBufDetector();
        if (!FACTORY.created(byteBufDetector)) {
            throw new IllegalStateException("leak detection not armed: the ByteBuf leak detector is "
                    + byteBufDetector.getClass().getName() + ", created before LeakDetection.install() ran");
        }
    }

    /**
     * Forces Netty to report every leak that is collectable now, and returns all reports not yet drained.
     * Blocks the calling thread for a couple of full GCs; never call it on an event loop.
     */
    public static List<LeakReport> collect() {
        for (int round = 0; round < ROUNDS; round++) {
            collectGarbage();
            FACTORY.pollAll();
        }
        return FACTORY.snapshot();
    }

    /** Removes and returns every recorded report. */
    public static List<LeakReport> drain() {
        return FACTORY.drain(report -> true);
    }

    /** Removes and returns the recorded reports that match; for tests that leak on purpose. */
    public static List<LeakReport> drain(Predicate<LeakReport> filter) {
        return FACTORY.drain(filter);
    }

    @SuppressWarnings("removal")
    private static void collectGarbage() {
        ReferenceQueue<Object> queue = new ReferenceQueue<>();
        WeakReference<Object> sentinel = new WeakReference<>(new Object(), queue);
        System.gc();
        System.runFinalization();
        try {
            // The GC clears weak references itself, but a separate thread enqueues them; wait for it to get
            // this far so the detectors' queues hold what this GC found.
            queue.remove(SENTINEL_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Reference.reachabilityFence(sentinel);
    }

    private static ResourceLeakDetector<?> byteBufDetector() {
        try {
            Class<?> abstractByteBuf = Class.forName("io.netty.buffer.AbstractByteBuf");
            Field field = abstractByteBuf.getDeclaredField("leakDetector");
            field.setAccessible(true);
            return (ResourceLeakDetector<?>) field.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot inspect io.netty.buffer.AbstractByteBuf.leakDetector "
                    + "(did Netty rename it?)", e);
        }
    }
}
