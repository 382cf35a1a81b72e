package dev.llmproxy.cluster;

import java.time.Duration;
import java.util.Objects;

/**
 * The intervals of the Redis client that are not operator settings: they follow from the command timeout and from
 * how long a crashed replica may keep holding what it took. Immutable.
 *
 * @param connectTimeout     TCP (and TLS) connect; off the request path, since requests never wait for a connection
 * @param reconnectMaxDelay  longest pause between two reconnect attempts, so Redis coming back is noticed soon
 * @param probeInterval      while Redis is down, how often one PING checks whether it is back (requests meanwhile
 *                           get "unavailable" at once instead of each waiting out the timeout)
 * @param leaseTtl           a concurrency lease expires this long after its last renewal: the longest a crashed
 *                           replica's slots stay taken
 * @param replicaTtl         a replica not heard from for this long no longer counts as alive
 * @param heartbeatInterval  how often a replica renews its registration and all its leases (one script each)
 */
public record RedisTimings(Duration connectTimeout, Duration reconnectMaxDelay, Duration probeInterval,
                           Duration leaseTtl, Duration replicaTtl, Duration heartbeatInterval) {

    /** What the proxy uses: leases and registrations survive two missed heartbeats. */
    public static final RedisTimings DEFAULT = new RedisTimings(Duration.ofSeconds(2), Duration.ofSeconds(2),
            Duration.ofMillis(500), Duration.ofSeconds(15), Duration.ofSeconds(15), Duration.ofSeconds(5));

    /**
     * The default timings with leases and registrations living {@code leaseTtl} ({@code REDIS_LEASE_TTL_MS}) and
     * renewed every third of it, so they survive two missed heartbeats.
     */
    public static RedisTimings withLeaseTtl(Duration leaseTtl) {
        if (leaseTtl.equals(DEFAULT.leaseTtl)) {
            return DEFAULT;
        }
        return new RedisTimings(DEFAULT.connectTimeout, DEFAULT.reconnectMaxDelay, DEFAULT.probeInterval, leaseTtl,
                leaseTtl, leaseTtl.dividedBy(3));
    }

    public RedisTimings {
        positive("connectTimeout", connectTimeout);
        positive("reconnectMaxDelay", reconnectMaxDelay);
        positive("probeInterval", probeInterval);
        positive("leaseTtl", leaseTtl);
        positive("replicaTtl", replicaTtl);
        positive("heartbeatInterval", heartbeatInterval);
        if (heartbeatInterval.compareTo(leaseTtl) >= 0 || heartbeatInterval.compareTo(replicaTtl) >= 0) {
            throw new IllegalArgumentException("heartbeatInterval: " + heartbeatInterval
                    + " (expected: shorter than leaseTtl " + leaseTtl + " and replicaTtl " + replicaTtl + ")");
        }
    }

    private static void positive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
        }
    }
}
