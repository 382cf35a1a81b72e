package dev.llmproxy.admission;

import dev.llmproxy.config.ConfigLoader;
import dev.llmproxy.config.ProxyConfig;
import dev.llmproxy.exchange.UpstreamPolicy;
import dev.llmproxy.metrics.Stage;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.ModelCatalog;
import dev.llmproxy.openai.ProxyError;
import dev.llmproxy.upstream.ModelIndex;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The retry rules of a running call: what is retried, how often, and never past the deadline. */
class AdmittedCallTest {
    private static final long PLENTY = TimeUnit.SECONDS.toNanos(30);

    private final EmbeddedChannel loop = new EmbeddedChannel();

    @AfterEach
    void close() {
        loop.finishAndReleaseAll();
    }

    private Admission admission;

    private AdmittedCall admitted() {
        if (admission == null) {
            ProxyConfig config = ConfigLoader.load(Map.of("RETRY_ATTEMPTS", "2", "RETRY_DELAY_MS", "100",
                    "RETRY_AFTER_MAX_MS", "5000", "OPENAI_BASE_URL", "http://127.0.0.1:9"), Map.of(), Map.of());
            admission = new Admission(config.admission(), ModelCatalog.bundled(), new ModelIndex(), NanoClock.system(),
                    Clock.systemUTC());
        }
        AdmittedCall[] call = new AdmittedCall[1];
        admission.admit("ip:1", "openai/gpt-4o-mini", loop.eventLoop(), new Admission.Callback() {
            @Override
            public void admitted(AdmittedCall c) {
                call[0] = c;
            }

            @Override
            public void rejected(ProxyError error) {
                throw new AssertionError(error);
            }
        });
        assertThat(call[0]).isNotNull();
        return call[0];
    }

    private static HttpResponse head(int status, String... headers) {
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
        for (int i = 0; i < headers.length; i += 2) {
            r.headers().add(headers[i], headers[i + 1]);
        }
        return r;
    }

    @Test
    void connectFailuresAreRetriedWithinTheBudgetAndTheDeadline() {
        AdmittedCall call = admitted();
        ProxyError refused = ProxyError.of(ErrorKind.UPSTREAM_UNREACHABLE);
        UpstreamPolicy.Decision first = call.onFailure(refused, 1, PLENTY);
        assertThat(first).isInstanceOf(UpstreamPolicy.Decision.Retry.class);
        long delay = ((UpstreamPolicy.Decision.Retry) first).delayNanos();
        assertThat(delay).isBetween(TimeUnit.MILLISECONDS.toNanos(50), TimeUnit.MILLISECONDS.toNanos(100));
        assertThat(call.onFailure(ProxyError.of(ErrorKind.UPSTREAM_CONNECT_TIMEOUT), 2, PLENTY))
                .isInstanceOf(UpstreamPolicy.Decision.Retry.class);
        assertThat(call.onFailure(refused, 3, PLENTY)).as("budget spent").isEqualTo(new UpstreamPolicy.Decision.Fail(refused));
        assertThat(call.onFailure(refused, 1, TimeUnit.MILLISECONDS.toNanos(10))).as("past the deadline")
                .isEqualTo(new UpstreamPolicy.Decision.Fail(refused));
    }

    @Test
    void aConnectionLostAfterTheRequestWentOutIsNeverRetried() {
        ProxyError lost = ProxyError.of(ErrorKind.UPSTREAM_CONNECTION_LOST);
        assertThat(admitted().onFailure(lost, 1, PLENTY)).isEqualTo(new UpstreamPolicy.Decision.Fail(lost));
    }

    @Test
    void only502To504AreRetriedAndNeverBeforeTheUpstreamsRetryAfter() {
        AdmittedCall call = admitted();
        assertThat(call.onHead(head(500), 1, PLENTY)).isEqualTo(UpstreamPolicy.Decision.FORWARD);
        assertThat(call.onHead(head(200), 1, PLENTY)).isEqualTo(UpstreamPolicy.Decision.FORWARD);
        assertThat(call.onHead(head(404), 1, PLENTY)).isEqualTo(UpstreamPolicy.Decision.FORWARD);
        UpstreamPolicy.Decision retry = call.onHead(head(503, "retry-after", "2"), 1, PLENTY);
        assertThat(retry).isInstanceOf(UpstreamPolicy.Decision.Retry.class);
        assertThat(((UpstreamPolicy.Decision.Retry) retry).delayNanos()).isGreaterThanOrEqualTo(TimeUnit.SECONDS.toNanos(2));
        assertThat(call.onHead(head(503, "retry-after", "60"), 1, PLENTY)).as("longer than RETRY_AFTER_MAX_MS")
                .isEqualTo(UpstreamPolicy.Decision.FORWARD);
        assertThat(call.onHead(head(504), 3, PLENTY)).as("budget spent").isEqualTo(UpstreamPolicy.Decision.FORWARD);
    }

    @Test
    void theEndReleasesTheSlotOnceAndFeedsTheBreakerOnlyWithUpstreamFaults() {
        AdmittedCall call = admitted();
        assertThat(admission.active()).isEqualTo(1);
        call.onEnd(new UpstreamPolicy.Outcome(404, false, false, Stage.DONE, 1));
        call.onEnd(new UpstreamPolicy.Outcome(500, true, false, Stage.DONE, 1)); // ignored: an exchange ends once
        assertThat(admission.active()).isZero();
        CircuitBreaker breaker = admission.breakers.forModel("openai/gpt-4o-mini");
        assertThat(breaker.consecutiveFailures()).as("a client's 4xx is not an upstream fault").isZero();

        admitted().onEnd(new UpstreamPolicy.Outcome(0, true, false, Stage.AWAITING_HEAD, 1));
        admitted().onEnd(new UpstreamPolicy.Outcome(502, true, false, Stage.DONE, 1));
        assertThat(breaker.consecutiveFailures()).isEqualTo(2);
        admitted().onEnd(new UpstreamPolicy.Outcome(200, false, false, Stage.DONE, 1));
        assertThat(breaker.consecutiveFailures()).isZero();
        assertThat(admission.active()).isZero();
        assertThat(admission.dailyCounts("openai/gpt-4o-mini")).isEqualTo(new DailyUsage.Counts(1, 3));
    }
}
