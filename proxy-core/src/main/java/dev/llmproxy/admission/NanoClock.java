package dev.llmproxy.admission;

/**
 * The monotonic time source of every admission primitive, in nanoseconds with an arbitrary origin, like
 * {@link System#nanoTime()}. Only differences between two readings mean anything. Injected so that tests drive
 * time by hand and assert exact refills, waits and retry-after values.
 */
@FunctionalInterface
public interface NanoClock {

    long nanoTime();

    /** {@link System#nanoTime()}: what the server uses. */
    static NanoClock system() {
        return System::nanoTime;
    }
}
