package dev.llmproxy.exchange;

import dev.llmproxy.metrics.Stage;
import dev.llmproxy.openai.ProxyError;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Decides, for one exchange, what becomes of each upstream attempt before the client has seen a byte — forward it,
 * retry, or answer with the proxy's own error — and hears once how the exchange ended (to release admission
 * permits and feed the circuit breaker and quota bookkeeping). Called on the exchange's event loop.
 */
public interface UpstreamPolicy {

    /** Forwards every response, never retries, forgets the outcome. */
    UpstreamPolicy PASS_THROUGH = new UpstreamPolicy() {
        @Override
        public Decision onHead(HttpResponse head, int attempt, long remainingNanos) {
            return Decision.FORWARD;
        }

        @Override
        public Decision onFailure(ProxyError error, int attempt, long remainingNanos) {
            return new Decision.Fail(error);
        }

        @Override
        public void onEnd(Outcome outcome) {
        }
    };

    /**
     * An upstream response head arrived.
     *
     * @param attempt        1 for the first attempt
     * @param remainingNanos time left before the exchange's first-byte deadline
     */
    Decision onHead(HttpResponse head, int attempt, long remainingNanos);

    /** The attempt got no response: connect failure, connection lost before the head. {@code error} is the default answer. */
    Decision onFailure(ProxyError error, int attempt, long remainingNanos);

    /** The exchange is over, whichever way; called exactly once. */
    void onEnd(Outcome outcome);

    sealed interface Decision {
        Decision FORWARD = new Forward();

        /** Send the response on to the client. */
        record Forward() implements Decision {
        }

        /** Drop this attempt (its connection is closed) and try again after {@code delayNanos}. */
        record Retry(long delayNanos) implements Decision {
        }

        /** Drop this attempt and answer the client with {@code error} instead. */
        record Fail(ProxyError error) implements Decision {
        }
    }

    /**
     * How the exchange ended.
     *
     * @param upstreamStatus status of the last upstream response head, 0 when none arrived
     * @param upstreamFault  the upstream failed the last attempt: connect failure, timeout, lost connection or 5xx
     * @param clientAborted  the client went away first
     * @param stage          where the exchange stood when it ended ({@link Stage#DONE} when it completed)
     * @param attempts       upstream attempts made (0 when none got a connection)
     */
    record Outcome(int upstreamStatus, boolean upstreamFault, boolean clientAborted, Stage stage, int attempts) {
    }
}
