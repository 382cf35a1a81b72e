package dev.llmproxy.tools;

import java.io.PrintWriter;

/**
 * A one-line progress bar on standard error, redrawn in place with a carriage return: {@code [####......] 3/10 id}.
 * Drawn only when enabled (standard error is a terminal, or asked for), so logs and pipes get no control
 * characters. Not thread-safe; one per run.
 */
final class ProgressBar {
    private static final int BAR_WIDTH = 24;
    private static final int LINE_WIDTH = 79;

    private final PrintWriter err;
    private final int total;
    private final boolean enabled;
    private int drawnWidth;

    ProgressBar(PrintWriter err, int total, boolean enabled) {
        this.err = err;
        this.total = Math.max(total, 1);
        this.enabled = enabled;
    }

    /** Shows that {@code done} of the total are finished and {@code label} is under way. */
    void show(int done, String label) {
        if (!enabled) {
            return;
        }
        int filled = Math.min(BAR_WIDTH, done * BAR_WIDTH / total);
        String line = "[" + "#".repeat(filled) + ".".repeat(BAR_WIDTH - filled) + "] " + done + "/" + total + " "
                + label;
        if (line.length() > LINE_WIDTH) {
            line = line.substring(0, LINE_WIDTH - 3) + "...";
        }
        err.print("\r" + line + " ".repeat(Math.max(0, drawnWidth - line.length())));
        err.flush();
        drawnWidth = line.length();
    }

    /** Clears the bar, leaving the cursor at the start of an empty line. */
    void clear() {
        if (!enabled || drawnWidth == 0) {
            return;
        }
        err.print("\r" + " ".repeat(drawnWidth) + "\r");
        err.flush();
        drawnWidth = 0;
    }
}
