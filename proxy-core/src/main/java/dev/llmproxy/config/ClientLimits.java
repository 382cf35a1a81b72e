package dev.llmproxy.config;

/**
 * What one client key may use, across every model; each number is 0 when not set (no limit).
 *
 * @param rpm           requests per minute
 * @param tpm           tokens per minute
 * @param rpd           requests per day (UTC)
 * @param concurrency   requests in flight at once
 * @param monthlyTokens tokens per calendar month (UTC)
 */
public record ClientLimits(int rpm, long tpm, int rpd, int concurrency, long monthlyTokens) {

    /** No limit. */
    public static final ClientLimits NONE = new ClientLimits(0, 0, 0, 0, 0);

    public ClientLimits {
        if (rpm < 0 || tpm < 0 || rpd < 0 || concurrency < 0 || monthlyTokens < 0) {
            throw new IllegalArgumentException("limits: " + rpm + "/" + tpm + "/" + rpd + "/" + concurrency + "/"
                    + monthlyTokens + " (expected: non-negative numbers)");
        }
    }
}
