package dev.llmproxy.cluster;

/**
 * What an upstream said about its limits on one response ({@code x-ratelimit-limit-requests},
 * {@code x-ratelimit-remaining-requests}, {@code x-ratelimit-reset-requests} and the {@code -tokens} three). Each
 * field is -1 when the upstream did not send it. Immutable.
 *
 * @param resetRequestsNanos time until the request limit is whole again; when read back, 0 once that has passed
 * @param resetTokensNanos   the same for tokens
 */
public record AdvertisedLimits(long limitRequests, long remainingRequests, long resetRequestsNanos,
                               long limitTokens, long remainingTokens, long resetTokensNanos) {

    /** Nothing advertised. */
    public static final AdvertisedLimits NONE = new AdvertisedLimits(-1, -1, -1, -1, -1, -1);
}
