package dev.llmproxy.exchange;

import dev.llmproxy.metrics.Labels;
import dev.llmproxy.metrics.RequestSample;
import dev.llmproxy.metrics.Stage;
import dev.llmproxy.openai.ErrorKind;

/**
 * What happened to one request, filled in as it goes and read once at the end (access log, metrics, stats).
 * Timestamps are {@link System#nanoTime()} values; 0 means "did not happen". Confined to the client channel's event
 * loop.
 */
public final class ExchangeRecord {
    private final long startNanos;
    private final String method;
    private final String route;
    private String model;
    private String metricModel;
    private int modelSlot;
    private int status;
    private boolean stream;
    private long bytesOut;
    private ErrorKind errorKind;
    private String upstream429Kind;
    private Stage endedAt = Stage.DONE;
    private int failovers;
    private boolean clientAborted;
    private long queueWaitNanos = -1;
    private long admittedNanos;
    private long upstreamRequestNanos;
    private long upstreamHeadNanos;
    private long upstreamEndNanos;
    private long firstTokenNanos;
    private long promptTokens = -1;
    private long completionTokens = -1;
    private boolean tokensEstimated;

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

    /** The model id sent upstream (for the access log). */
    public String model() {
        return model;
    }

    /**
     * @param upstreamModel the id sent upstream
     * @param labelSafe     the same id when it is a catalog id, else {@code other}: the only form metrics may use
     */
    public void model(String upstreamModel, String labelSafe) {
        model(upstreamModel, labelSafe, 0);
    }

    /** {@link #model(String, String)} of a resolved hop: {@code slot} is its model handle's index, for metrics. */
    public void model(String upstreamModel, String labelSafe, int slot) {
        this.model = upstreamModel;
        this.metricModel = labelSafe;
        this.modelSlot = slot;
    }

    public int status() {
        return status;
    }

    public void status(int value) {
        this.status = value;
    }

    public void stream(boolean value) {
        this.stream = value;
    }

    public long bytesOut() {
        return bytesOut;
    }

    public void addBytesOut(long n) {
        bytesOut += n;
    }

    /** The proxy's own error code when the proxy answered or cut the response, else null. */
    public String errorCode() {
        return errorKind == null ? null : errorKind.code();
    }

    public void error(ErrorKind kind) {
        this.errorKind = kind;
    }

    /** An upstream 429 answered this request; {@code rateLimitType} is its {@code x-ratelimit-type} header, or null. */
    public void upstream429(String rateLimitType) {
        this.upstream429Kind = Labels.rateLimitKind(rateLimitType);
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

    /** The request moved on to the next upstream of its route: the failed attempt's end no longer counts. */
    public void failover() {
        failovers++;
        endedAt = Stage.DONE;
    }

    /** How many times the request moved on to another upstream. */
    public int failovers() {
        return failovers;
    }

    /** Admission let the call go upstream after waiting {@code waitNanos}. */
    public void admitted(long waitNanos) {
        this.queueWaitNanos = waitNanos;
        this.admittedNanos = System.nanoTime();
    }

    public long queueWaitNanos() {
        return queueWaitNanos;
    }

    /** The first attempt's request went upstream (retries keep this first time). */
    public void upstreamRequestSent(long nanos) {
        if (upstreamRequestNanos == 0) {
            upstreamRequestNanos = nanos;
        }
    }

    public long upstreamRequestNanos() {
        return upstreamRequestNanos;
    }

    public void upstreamHead(long nanos) {
        this.upstreamHeadNanos = nanos;
    }

    public void upstreamEnd(long nanos) {
        if (upstreamEndNanos == 0) {
            this.upstreamEndNanos = nanos;
        }
    }

    /** The first generated token reached the client. */
    public void firstToken(long nanos) {
        if (firstTokenNanos == 0) {
            this.firstTokenNanos = nanos;
        }
    }

    /** Prompt plus completion tokens, exact or estimated; 0 when the response had none. */
    public long totalTokens() {
        return Math.max(0, promptTokens) + Math.max(0, completionTokens);
    }

    public void tokens(long prompt, long completion, boolean estimated) {
        this.promptTokens = prompt;
        this.completionTokens = completion;
        this.tokensEstimated = estimated;
    }

    /** The finished request as metrics and stats see it. */
    public RequestSample toSample(long nowNanos) {
        return new RequestSample(method, route, status, metricModel, stream,
                nowNanos - startNanos,
                queueWaitNanos,
                upstreamHeadNanos > 0 && upstreamRequestNanos > 0 ? upstreamHeadNanos - upstreamRequestNanos : -1,
                firstTokenNanos > 0 ? firstTokenNanos - startNanos : -1,
                admittedNanos > 0 ? (upstreamEndNanos > 0 ? upstreamEndNanos : nowNanos) - admittedNanos : -1,
                promptTokens, completionTokens, tokensEstimated, bytesOut,
                errorKind == null ? null : errorKind.name(),
                errorKind == null ? null : errorKind.code(),
                upstream429Kind,
                clientAborted ? endedAt : null,
                modelSlot);
    }
}
