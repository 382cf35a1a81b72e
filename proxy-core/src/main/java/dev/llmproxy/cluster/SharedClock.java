package dev.llmproxy.cluster;

/**
 * The time the Lua scripts run at. In production every script reads Redis's own {@code TIME}, so all replicas judge
 * buckets, leases and pauses by one clock and a replica whose clock drifts cannot take more than its share. Tests
 * pass a hand-driven clock instead, to assert exact refills and expiries. Implementations must be thread-safe.
 */
@FunctionalInterface
public interface SharedClock {

    /** What {@link #nowMicros()} returns to let the script use Redis's {@code TIME}. */
    long SERVER_TIME = -1;

    /** Microseconds since the epoch, or {@link #SERVER_TIME}. */
    long nowMicros();

    /** Redis's {@code TIME}: what the proxy uses. */
    static SharedClock server() {
        return () -> SERVER_TIME;
    }
}
