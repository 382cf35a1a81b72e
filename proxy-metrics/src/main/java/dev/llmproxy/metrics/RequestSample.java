package dev.llmproxy.metrics;

/**
 * Everything measured about one finished request, handed once to each {@link RequestObserver} (metrics, stats) on
 * the event loop that served it. Durations are nanoseconds; {@code -1} means "did not happen" (no queue, no
 * upstream call, no first token). Immutable.
 *
 * @param method                 HTTP method
 * @param route                  route template from a closed set, or {@code other}
 * @param status                 status sent to the client; 499 when the client left before a status was sent
 * @param model                  label-safe model: a catalog id, {@code other}, or null when the request had none
 * @param stream                 the response was an event stream
 * @param durationNanos          request head received → last response byte written (or the client left)
 * @param queueWaitNanos         time spent waiting for admission (pacing and queues), or -1
 * @param upstreamFirstByteNanos request written upstream → upstream response head, or -1
 * @param ttftNanos              request head received → first generated token forwarded, or -1
 * @param upstreamNanos          admitted → upstream response complete (or failed), or -1
 * @param promptTokens           prompt tokens, or -1 when unknown
 * @param completionTokens       completion tokens, or -1 when unknown
 * @param tokensEstimated        the counts are the proxy's tokenizer estimate, not the upstream's usage
 * @param bytesOut               response body bytes written to the client
 * @param errorKind              the proxy's {@code ErrorKind} name when the proxy answered or cut the response, else null
 * @param errorCode              the OpenAI envelope code of that error (may be null even when errorKind is set)
 * @param upstream429Kind        GitHub's {@code x-ratelimit-type} of an upstream 429 ({@code other} when unknown), else null
 * @param abortedAt              where the exchange stood when the client left, or null
 * @param modelSlot              the model's handle index ({@code ModelHandle.index()}, dense, from 1) where the
 *                               request was resolved to a hop, else 0: where metrics keep its series, no lookup
 */
public record RequestSample(
        String method,
        String route,
        int status,
        String model,
        boolean stream,
        long durationNanos,
        long queueWaitNanos,
        long upstreamFirstByteNanos,
        long ttftNanos,
        long upstreamNanos,
        long promptTokens,
        long completionTokens,
        boolean tokensEstimated,
        long bytesOut,
        String errorKind,
        String errorCode,
        String upstream429Kind,
        Stage abortedAt,
        int modelSlot) {

    /** A sample whose model has no handle index: metrics look its series up by label. */
    public RequestSample(String method, String route, int status, String model, boolean stream, long durationNanos,
                         long queueWaitNanos, long upstreamFirstByteNanos, long ttftNanos, long upstreamNanos,
                         long promptTokens, long completionTokens, boolean tokensEstimated, long bytesOut,
                         String errorKind, String errorCode, String upstream429Kind, Stage abortedAt) {
        this(method, route, status, model, stream, durationNanos, queueWaitNanos, upstreamFirstByteNanos, ttftNanos,
                upstreamNanos, promptTokens, completionTokens, tokensEstimated, bytesOut, errorKind, errorCode,
                upstream429Kind, abortedAt, 0);
    }

    /** The client left before the response was complete. */
    public boolean clientAborted() {
        return abortedAt != null;
    }
}
