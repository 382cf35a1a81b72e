package dev.llmproxy.exchange;

import dev.llmproxy.metrics.Stage;

/**
 * What happened to one request, filled in as it goes and read once at the end (access log, metrics).
 * Confined to the client channel's event loop.
 */
public final class ExchangeRecord {
    private final long startNanos;
    private final String method;
    private final String route;
    private String model;
    private int status;
    private long bytesOut;
    private String errorCode;
    private Stage endedAt = Stage.DONE;
    private boolean clientAborted;

    /** @param route the route template (closed set), never the raw path */
    public ExchangeRecord(long startNanos, String method, String route) {
        this.startNanos = startNanos;
        this.method = method;
        this.route = route;
    }

    public long startNanos() {
        return startNanos;
    }

    public String method() {
        return method;
    }

    public String route() {
        return route;
    }

    public String model() {
        return model;
    }

    public void model(String value) {
        this.model = value;
    }

    public int status() {
        return status;
    }

    public void status(int value) {
        this.status = value;
    }

    public long bytesOut() {
        return bytesOut;
    }

    public void addBytesOut(long n) {
        bytesOut += n;
    }

    /** The proxy's own error code when the proxy answered or cut the response, else null. */
    public String errorCode() {
        return errorCode;
    }

    public void errorCode(String code) {
        this.errorCode = code;
    }

    /** Stage the exchange was in when it ended early; {@link Stage#DONE} when it completed. */
    public Stage endedAt() {
        return endedAt;
    }

    public boolean clientAborted() {
        return clientAborted;
    }

    public void clientAborted(Stage stage) {
        this.clientAborted = true;
        this.endedAt = stage;
    }

    public void failedAt(Stage stage) {
        this.endedAt = stage;
    }
}
