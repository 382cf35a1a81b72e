package dev.llmproxy.metrics;

import java.util.Locale;

/**
 * Where an exchange stands on its way through the proxy. Used to label cancellations and failures
 * ("cancelled while {@code awaiting_head}") from a closed set of values.
 */
public enum Stage {
    /** Waiting for admission (a concurrency slot or a rate-limit token). */
    QUEUED,
    /** Waiting for an upstream connection from the pool or for a new one to connect. */
    CONNECTING,
    /** Request written upstream; no response byte yet. */
    AWAITING_HEAD,
    /** Response head sent to the client; body chunks flowing. */
    STREAMING,
    /** Response complete. */
    DONE;

    private final String label = name().toLowerCase(Locale.ROOT);

    /** Lower-case name, as used in metric labels and the access log. */
    public String label() {
        return label;
    }
}
