package dev.llmproxy.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.lang.reflect.Modifier;
import java.util.List;

/**
 * Fails a test class when Netty reported a resource leak by the time the class finished; auto-registered for
 * every test class (see {@link LeakDetection} for the whole scheme). Before a class it checks that leaks would be
 * recorded at all, so a broken set-up fails loudly instead of passing silently.
 *
 * <p>{@code @Nested} classes are checked with their enclosing class, which keeps the cost at one sweep (two full
 * GCs) per top-level class.
 *
 * <p>Threading: JUnit calls it on the thread running the class; the sweep blocks that thread.
 */
public final class LeakDetectionExtension implements BeforeAllCallback, AfterAllCallback {

    private static final int MAX_REPORTS_IN_MESSAGE = 10;

    @Override
    public void beforeAll(ExtensionContext context) {
        LeakDetection.assertArmed();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Class<?> testClass = context.getRequiredTestClass();
        if (isNested(testClass)) {
            return;
        }
        List<LeakReport> leaks = LeakDetection.collect();
        if (leaks.isEmpty()) {
            return;
        }
        LeakDetection.drain(leaks::contains);
        throw new AssertionError(message(testClass, leaks));
    }

    private static boolean isNested(Class<?> testClass) {
        return testClass.getEnclosingClass() != null && !Modifier.isStatic(testClass.getModifiers());
    }

    private static String message(Class<?> testClass, List<LeakReport> leaks) {
        StringBuilder message = new StringBuilder()
                .append(leaks.size()).append(" Netty resource leak(s) reported by the end of ")
                .append(testClass.getName())
                .append(" (a leak is blamed on the first class after which the GC found it):");
        leaks.stream().limit(MAX_REPORTS_IN_MESSAGE)
                .forEach(leak -> message.append(System.lineSeparator()).append(System.lineSeparator())
                        .append(leak.describe()));
        if (leaks.size() > MAX_REPORTS_IN_MESSAGE) {
            message.append(System.lineSeparator()).append("… and ")
                    .append(leaks.size() - MAX_REPORTS_IN_MESSAGE).append(" more");
        }
        return message.toString();
    }
}
