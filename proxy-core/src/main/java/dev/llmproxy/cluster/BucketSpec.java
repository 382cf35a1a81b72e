package dev.llmproxy.cluster;

import java.time.Duration;
import java.util.Objects;

/**
 * One shared token bucket and what a request takes from it: {@code rate} tokens per {@code period}, refilled
 * continuously, at most {@code burst} at once — the same bucket as {@code admission.TokenBucket}, whose
 * {@code permitsPerMinute} is {@code rate} per one minute. Immutable.
 *
 * @param name   the bucket's name, e.g. {@code client:team-a:rpm} or {@code upstream:openai:gpt-4.1:tpm}; buckets of
 *               one name are one bucket for every replica (the rate, period and burst of a call define it, so every
 *               replica must use the same ones)
 * @param rate   tokens per period, at least 1
 * @param period the refill period, at least one microsecond
 * @param burst  the capacity, at least 1; also the limit reported to clients
 * @param cost   tokens this call takes: 1 for a request, the estimated tokens for a TPM bucket; 0 only checks that
 *               the bucket is not in debt. Negative only in {@link SharedBuckets#charge} (a refund)
 */
public record BucketSpec(String name, long rate, Duration period, long burst, long cost) {

    public BucketSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(period, "period");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("name: \"\" (expected: a non-empty bucket name)");
        }
        if (rate < 1) {
            throw new IllegalArgumentException("rate: " + rate + " (expected: >= 1)");
        }
        if (period.toNanos() < 1_000) {
            throw new IllegalArgumentException("period: " + period + " (expected: >= 1 microsecond)");
        }
        if (burst < 1) {
            throw new IllegalArgumentException("burst: " + burst + " (expected: >= 1)");
        }
    }

    /** A bucket of {@code rate} per minute, the unit of RPM and TPM limits. */
    public static BucketSpec perMinute(String name, long rate, long burst, long cost) {
        return new BucketSpec(name, rate, Duration.ofMinutes(1), burst, cost);
    }

    /** The same bucket, taking {@code newCost} (e.g. a refund, or the exact usage charged after a response). */
    public BucketSpec withCost(long newCost) {
        return new BucketSpec(name, rate, period, burst, newCost);
    }

    long periodMicros() {
        return period.toNanos() / 1_000;
    }
}
