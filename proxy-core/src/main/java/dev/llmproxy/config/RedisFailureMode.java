package dev.llmproxy.config;

import java.util.Locale;
import java.util.Optional;

/** What a limit check does while Redis cannot answer ({@code REDIS_FAILURE_MODE}). */
public enum RedisFailureMode {
    /**
     * Fall back to the in-process limits, each divided by the number of replicas last seen alive, so the replicas
     * together stay near the configured limit while they cannot coordinate. Availability over exactness.
     */
    LOCAL("local"),
    /** Refuse every request that a shared limit applies to with 503 {@code limits_unavailable}. Exactness first. */
    CLOSED("closed");

    private final String wireName;

    RedisFailureMode(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Optional<RedisFailureMode> parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        for (RedisFailureMode m : values()) {
            if (m.wireName.equals(v)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }
}
