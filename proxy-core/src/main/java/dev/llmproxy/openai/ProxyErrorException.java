package dev.llmproxy.openai;

import java.util.Objects;

/**
 * A request the proxy answers itself with {@link #error()} instead of a result: how the local JSON endpoints
 * (check-context, recommend-model, generate-code) report a bad request or an unknown model. A route catches it and
 * writes the envelope; nothing else needs it.
 *
 * <p>No stack trace is captured: this is a client's mistake, reported on a hot path, never a bug to debug.
 */
public final class ProxyErrorException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final transient ProxyError error;

    public ProxyErrorException(ProxyError error) {
        super(Objects.requireNonNull(error, "error").message());
        this.error = error;
    }

    /** Shorthand for {@code new ProxyErrorException(ProxyError.of(kind, message, param))}. */
    public static ProxyErrorException of(ErrorKind kind, String message, String param) {
        return new ProxyErrorException(ProxyError.of(kind, message, param));
    }

    public ProxyError error() {
        return error;
    }

    @Override
    public Throwable fillInStackTrace() {
        return this;
    }
}
