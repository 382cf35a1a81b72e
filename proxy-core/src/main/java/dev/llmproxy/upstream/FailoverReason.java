package dev.llmproxy.upstream;

import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.ProxyError;

import java.util.Locale;

/** Why a request left one target of its route for the next: the {@code reason} label of {@code failovers_total}. */
public enum FailoverReason {
    /** Connection refused, or connecting timed out. */
    CONNECT,
    /** No response head within the first-byte timeout. */
    TIMEOUT,
    /** The connection broke, or the response could not be read. */
    CONNECTION,
    /** The proxy's own connection pool to that upstream was full. */
    POOL,
    /** The upstream's limits, declared or learned, had no room: the proxy did not send it. */
    LIMIT,
    STATUS_429,
    STATUS_5XX,
    /** 408, 409 or 410. */
    STATUS_4XX,
    OTHER;

    private final String label = name().toLowerCase(Locale.ROOT);

    public String label() {
        return label;
    }

    /** @param status the upstream status that made the attempt fail, or 0 when no head came */
    public static FailoverReason of(ProxyError error, int status) {
        if (status == 429) {
            return STATUS_429;
        }
        if (status >= 500) {
            return STATUS_5XX;
        }
        if (status >= 400) {
            return STATUS_4XX;
        }
        ErrorKind kind = error.kind();
        return switch (kind) {
            case UPSTREAM_UNREACHABLE, UPSTREAM_CONNECT_TIMEOUT -> CONNECT;
            case UPSTREAM_TIMEOUT -> TIMEOUT;
            case UPSTREAM_CONNECTION_LOST, UPSTREAM_BAD_RESPONSE -> CONNECTION;
            case UPSTREAM_POOL_EXHAUSTED -> POOL;
            case UPSTREAM_RATE_LIMITED -> LIMIT;
            case UPSTREAM_UNAVAILABLE, RATE_LIMITED, QUEUE_FULL, QUEUE_TIMEOUT -> LIMIT;
            default -> OTHER;
        };
    }
}
