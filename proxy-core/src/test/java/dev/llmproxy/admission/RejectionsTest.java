package dev.llmproxy.admission;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.ProxyError;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class RejectionsTest {

    @Test
    void retryAfterSecondsRoundUpAndAreNeverZero() {
        assertThat(Rejections.seconds(0)).isEqualTo(1);
        assertThat(Rejections.seconds(TimeUnit.MILLISECONDS.toNanos(1))).isEqualTo(1);
        assertThat(Rejections.seconds(TimeUnit.MILLISECONDS.toNanos(12_000))).isEqualTo(12);
        assertThat(Rejections.seconds(TimeUnit.MILLISECONDS.toNanos(12_001))).isEqualTo(13);
    }

    @Test
    void resetDurationsUseOpenAisFormat() {
        assertThat(Rejections.openAiDuration(TimeUnit.MILLISECONDS.toNanos(120))).isEqualTo("120ms");
        assertThat(Rejections.openAiDuration(TimeUnit.MILLISECONDS.toNanos(1500))).isEqualTo("1.5s");
        assertThat(Rejections.openAiDuration(TimeUnit.SECONDS.toNanos(12))).isEqualTo("12s");
        assertThat(Rejections.openAiDuration(TimeUnit.SECONDS.toNanos(360))).isEqualTo("6m0s");
        assertThat(Rejections.openAiDuration(TimeUnit.MILLISECONDS.toNanos(61_250))).isEqualTo("1m1.25s");
    }

    @Test
    void localRateLimitCarriesTheReferenceBlockAndTheHeaderTrio() throws Exception {
        TokenBucket.Decision d = new TokenBucket.Decision(false, 5, 0, TimeUnit.SECONDS.toNanos(12),
                TimeUnit.SECONDS.toNanos(60));
        ProxyError e = Rejections.rateLimited(d, 5);
        assertThat(e.status()).isEqualTo(429);
        JsonNode body = Json.MAPPER.readTree(e.toJson());
        assertThat(body.at("/error/message").asText()).isEqualTo("Rate limit exceeded (limit ~5/min). Retry after 12s");
        assertThat(body.at("/rate_limit/used").asInt()).isEqualTo(5);
        assertThat(body.at("/rate_limit/retry_after_ms").asLong()).isEqualTo(12_000);
        assertThat(e.headers()).containsEntry("Retry-After", "12")
                .containsEntry("x-ratelimit-limit-requests", "5")
                .containsEntry("x-ratelimit-remaining-requests", "0")
                .containsEntry("x-ratelimit-reset-requests", "1m0s");
    }

    @Test
    void dailyExhaustionNamesTheResetTime() throws Exception {
        Instant reset = Instant.parse("2026-11-27T00:00:00Z");
        ProxyError e = Rejections.dailyQuotaExhausted("openai/gpt-4o", 7200, reset, "UserByModelByDay", "RateLimitReached");
        JsonNode body = Json.MAPPER.readTree(e.toJson());
        assertThat(body.at("/error/code").asText()).isEqualTo("daily_quota_exhausted");
        assertThat(body.at("/error/message").asText()).contains("2026-11-27T00:00:00Z").contains("2.0 h");
        assertThat(body.at("/rate_limit/reset_at").asText()).isEqualTo("2026-11-27T00:00:00Z");
        assertThat(e.headers()).containsEntry("Retry-After", "7200");
    }
}
