package dev.llmproxy.tools;

/**
 * What a probe of one model found, as {@code test-models} reports it (the reference's categories). The HTTP status
 * decides; a request that got no answer, or any other status, is {@link #OTHER}.
 */
enum ProbeResult {
    /** 2xx: the model answered. */
    WORKING,
    /** 404: the upstream (or the proxy) does not know the model. */
    NOT_AVAILABLE,
    /** 429: a rate limit or quota refused the probe; the model may work later. */
    RATE_LIMITED,
    /** 401 or 403: the upstream's key cannot use the model. */
    AUTH_ERROR,
    /** Anything else: the status and message say what. */
    OTHER;

    static ProbeResult of(int status) {
        if (status >= 200 && status < 300) {
            return WORKING;
        }
        return switch (status) {
            case 404 -> NOT_AVAILABLE;
            case 429 -> RATE_LIMITED;
            case 401, 403 -> AUTH_ERROR;
            default -> OTHER;
        };
    }
}
