package dev.llmproxy.cluster;

import java.util.List;

/**
 * The answer to one multi-bucket admission: every bucket was charged, or none was. Immutable.
 *
 * @param verdict         what happened
 * @param retryAfterNanos when not allowed: the time until the most limiting bucket (or the pause) lets the same call
 *                        pass; 0 otherwise, and 0 for {@link Verdict#EXCEEDS_BURST}, which no wait cures
 * @param limitingBucket  the index (in the call's list) of the bucket that decided a refusal; -1 when a pause
 *                        decided, or when allowed
 * @param buckets         per bucket in the call's order, after the decision: what the {@code x-ratelimit-*} headers
 *                        need. Empty when {@link Verdict#UNAVAILABLE}
 */
public record BucketDecision(Verdict verdict, long retryAfterNanos, int limitingBucket, List<BucketState> buckets) {

    /** Redis did not answer: nothing is known, nothing was charged. */
    public static final BucketDecision UNAVAILABLE = new BucketDecision(Verdict.UNAVAILABLE, 0, -1, List.of());

    public BucketDecision {
        buckets = List.copyOf(buckets);
    }

    public enum Verdict {
        /** Every bucket had the tokens; all were taken. */
        ALLOWED,
        /** A bucket lacks tokens; nothing was taken. */
        LIMITED,
        /** A pause of the upstream is in force and outlasts every bucket's wait; nothing was taken. */
        PAUSED,
        /** A cost exceeds its bucket's burst: the call can never pass as it is (a prompt larger than the TPM). */
        EXCEEDS_BURST,
        /** Redis did not answer in time or is down: apply {@code REDIS_FAILURE_MODE}. */
        UNAVAILABLE
    }

    public boolean allowed() {
        return verdict == Verdict.ALLOWED;
    }

    /**
     * One bucket after the decision.
     *
     * @param limit      the burst
     * @param remaining  whole tokens left
     * @param resetNanos the time until the bucket is full again
     */
    public record BucketState(long limit, long remaining, long resetNanos) {
    }
}
