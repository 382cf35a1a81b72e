package dev.llmproxy.testing;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

import java.util.List;

/**
 * Installs the leak-recording detector factory when the JUnit Platform launcher session opens, which is before
 * any test class — and so any Netty buffer class — is initialised. See {@link LeakDetection} for the whole scheme.
 *
 * <p>When the session closes it makes one last sweep and prints what it finds: leaks that surface only after the
 * last test class (a server left running until JVM shutdown) can no longer fail a class, but are not silent.
 *
 * <p>Threading: called by the launcher on its own thread, once per session.
 */
public final class LeakDetectionSessionListener implements LauncherSessionListener {

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        LeakDetection.install();
    }

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        List<LeakReport> late = LeakDetection.collect();
        if (!late.isEmpty()) {
            System.err.println("[LeakDetection] " + late.size() + " leak(s) reported after the last test class:");
            late.forEach(report -> System.err.println(report.describe()));
        }
    }
}
