package dev.llmproxy.config;

import io.lettuce.core.RedisURI;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the limits shared by replicas live. With no {@code url}, every limit stays in-process and nothing here is
 * used. Immutable.
 *
 * @param url            {@code REDIS_URL} as the operator wrote it (it may hold a password: never logged, and left out
 *                       of {@link #toString()}); parsed by Lettuce's {@link RedisURI}
 * @param keyPrefix      put before every key, so deployments can share one Redis
 * @param commandTimeout longest wait for one command before the call counts as "Redis unavailable"
 * @param failureMode    what the proxy does while Redis is unavailable
 * @param leaseTtl       a concurrency lease (and a replica's registration) expires this long after its last renewal
 */
public record RedisConfig(Optional<String> url, String keyPrefix, Duration commandTimeout,
                          RedisFailureMode failureMode, Duration leaseTtl) {

    /** What {@code REDIS_LEASE_TTL_MS} is unless set. */
    public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(15);

    public RedisConfig(Optional<String> url, String keyPrefix, Duration commandTimeout, RedisFailureMode failureMode) {
        this(url, keyPrefix, commandTimeout, failureMode, DEFAULT_LEASE_TTL);
    }

    public RedisConfig {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        Objects.requireNonNull(failureMode, "failureMode");
        Objects.requireNonNull(leaseTtl, "leaseTtl");
    }

    /** True when {@code REDIS_URL} is set, i.e. limits are shared through Redis. */
    public boolean enabled() {
        return url.isPresent();
    }

    /** Lettuce's reading of {@link #url}: a new, mutable object each call. */
    public RedisURI redisUri() {
        return RedisURI.create(url.orElseThrow(() -> new IllegalStateException("REDIS_URL is not set")));
    }

    @Override
    public String toString() {
        return "RedisConfig[url=" + (url.isPresent() ? "(set)" : "(none)") + ", keyPrefix=" + keyPrefix
                + ", commandTimeout=" + commandTimeout + ", failureMode=" + failureMode.wireName()
                + ", leaseTtl=" + leaseTtl + "]";
    }
}
