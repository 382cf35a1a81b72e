package dev.llmproxy.config;

/**
 * Limits an upstream declares for itself, which the proxy keeps below so that it causes no upstream 429. Each
 * number is 0 when not declared (no limit); limits learned from {@code x-ratelimit-*} headers come on top.
 *
 * @param rpm         requests per minute
 * @param tpm         tokens per minute (prompt plus completion; Azure counts {@code max_tokens})
 * @param concurrency requests in flight at once
 * @param scope       whether the numbers hold for each model of the upstream or for the upstream as a whole
 */
public record UpstreamLimits(int rpm, long tpm, int concurrency, Scope scope) {

    /** Nothing declared. */
    public static final UpstreamLimits NONE = new UpstreamLimits(0, 0, 0, Scope.MODEL);

    public UpstreamLimits {
        if (rpm < 0 || tpm < 0 || concurrency < 0) {
            throw new IllegalArgumentException("limits: " + rpm + "/" + tpm + "/" + concurrency
                    + " (expected: non-negative numbers)");
        }
    }

    /** At least one number is declared. */
    public boolean declared() {
        return rpm > 0 || tpm > 0 || concurrency > 0;
    }

    /** What one set of numbers covers. */
    public enum Scope implements WireName {
        /** Each model of the upstream has its own budget (OpenAI, Azure deployments). */
        MODEL("model"),
        /** One budget shared by every model of the upstream (a single GPU server, an account-wide key). */
        UPSTREAM("upstream");

        private final String wireName;

        Scope(String wireName) {
            this.wireName = wireName;
        }

        @Override
        public String wireName() {
            return wireName;
        }
    }
}
