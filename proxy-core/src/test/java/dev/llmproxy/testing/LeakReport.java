package dev.llmproxy.testing;

import java.util.Objects;

/**
 * One leak that Netty's {@code ResourceLeakDetector} reported: which resource type leaked, and the access
 * records (creation point and last touches) Netty collected for it. Empty records mean the leak was untraced
 * (detection level below {@code advanced}).
 *
 * <p>Immutable; safe to share between threads.
 */
public record LeakReport(String resourceType, String records) {

    public LeakReport {
        Objects.requireNonNull(resourceType, "resourceType");
        Objects.requireNonNull(records, "records");
    }

    /** The report as Netty would log it: one headline, then the access records. */
    public String describe() {
        String headline = "LEAK: " + resourceType + ".release() was not called before it's garbage-collected.";
        return records.isEmpty() ? headline + " (untraced: run with -Dio.netty.leakDetection.level=paranoid)"
                : headline + records;
    }
}
