package dev.llmproxy.client;

import dev.llmproxy.exchange.UpstreamPolicy;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.ProxyError;
import io.netty.handler.codec.http.HttpResponse;

/**
 * The TTS engine's answers as a media player needs them: every status below 500 passes through as is — 206 for a
 * range, 304 for a cache hit, 416 for a bad range (the reference turned these into 502s) — while an engine that fails
 * (5xx) or cannot be reached becomes 502 {@code tts_upstream_error}. Retries and the outcome bookkeeping stay with the
 * admitted call it wraps.
 */
final class TtsPolicy implements UpstreamPolicy {
    private final UpstreamPolicy admitted;

    TtsPolicy(UpstreamPolicy admitted) {
        this.admitted = admitted;
    }

    @Override
    public Decision onHead(HttpResponse head, int attempt, long remainingNanos) {
        Decision decision = admitted.onHead(head, attempt, remainingNanos);
        int status = head.status().code();
        if (decision instanceof Decision.Forward && status >= 500) {
            return new Decision.Fail(ProxyError.of(ErrorKind.TTS_UPSTREAM_ERROR,
                    "TTS proxy error: the TTS engine answered " + status));
        }
        return decision;
    }

    @Override
    public Decision onFailure(ProxyError error, int attempt, long remainingNanos) {
        Decision decision = admitted.onFailure(error, attempt, remainingNanos);
        if (decision instanceof Decision.Fail fail && fail.error().status() == 502) {
            return new Decision.Fail(ProxyError.of(ErrorKind.TTS_UPSTREAM_ERROR,
                    "TTS proxy error: " + fail.error().message()));
        }
        return decision;
    }

    @Override
    public void onEnd(Outcome outcome) {
        admitted.onEnd(outcome);
    }
}
