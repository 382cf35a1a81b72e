package dev.llmproxy.client;

import dev.llmproxy.config.ClientKeyDigest;
import dev.llmproxy.config.ClientLimits;
import dev.llmproxy.config.ClientSpec;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class ClientQuotaTest {
    private static final long T0 = 1_000_000_000L;
    private static final long DAY0 = 1_767_225_600_000L; // 2026-01-01T00:00Z

    private static ClientQuota quota(ClientLimits limits) {
        return new ClientQuota(new ClientSpec("team-a", ClientKeyDigest.of("k"), Optional.empty(), limits,
                ClientSpec.OverLimit.REJECT), T0);
    }

    @Test
    void requestsPerMinuteRefillContinuouslyAndTheRefusalSaysWhenToComeBack() {
        ClientQuota q = quota(new ClientLimits(2, 0, 0, 0, 0));
        assertThat(q.tryAdmit(T0, DAY0).admitted()).isTrue();
        assertThat(q.tryAdmit(T0, DAY0).admitted()).isTrue();
        ClientQuota.Decision third = q.tryAdmit(T0, DAY0);
        assertThat(third.admitted()).isFalse();
        assertThat(third.error().kind().code()).isEqualTo("client_rate_limit");
        assertThat(third.retryAfterNanos()).isEqualTo(TimeUnit.SECONDS.toNanos(30));
        long later = T0 + TimeUnit.SECONDS.toNanos(30);
        assertThat(q.tryAdmit(later, DAY0).admitted()).as("one request back after half a minute").isTrue();
        assertThat(q.tryAdmit(later, DAY0).admitted()).isFalse();
    }

    @Test
    void tokensAreChargedWhenARequestSettlesAndTheMonthsBudgetEndsIt() {
        ClientQuota q = quota(new ClientLimits(0, 1000, 0, 0, 1500));
        assertThat(q.tryAdmit(T0, DAY0).admitted()).isTrue();
        q.settle(1200, T0, DAY0);
        ClientQuota.Decision overTpm = q.tryAdmit(T0, DAY0);
        assertThat(overTpm.admitted()).as("the minute's tokens are spent").isFalse();
        assertThat(overTpm.retryAfterNanos()).isPositive();
        long minuteLater = T0 + TimeUnit.MINUTES.toNanos(1);
        assertThat(q.tryAdmit(minuteLater, DAY0).admitted()).isTrue();
        q.settle(400, minuteLater, DAY0);
        ClientQuota.Decision budget = q.tryAdmit(minuteLater + TimeUnit.MINUTES.toNanos(1), DAY0);
        assertThat(budget.error().kind().code()).isEqualTo("client_budget_exhausted");
        long nextMonth = DAY0 + TimeUnit.DAYS.toMillis(31);
        assertThat(q.tryAdmit(minuteLater + TimeUnit.MINUTES.toNanos(1), nextMonth).admitted())
                .as("a new month, a new budget").isTrue();
    }

    @Test
    void concurrencyAndRequestsPerDayAreCountedAndReleased() {
        ClientQuota q = quota(new ClientLimits(0, 0, 2, 1, 0));
        assertThat(q.tryAdmit(T0, DAY0).admitted()).isTrue();
        assertThat(q.tryAdmit(T0, DAY0).admitted()).as("one in flight").isFalse();
        q.settle(0, T0, DAY0);
        assertThat(q.tryAdmit(T0, DAY0).admitted()).isTrue();
        q.settle(0, T0, DAY0);
        assertThat(q.tryAdmit(T0, DAY0).admitted()).as("two a day").isFalse();
        assertThat(q.tryAdmit(T0, DAY0 + TimeUnit.DAYS.toMillis(1)).admitted()).isTrue();
        assertThat(q.snapshot(DAY0 + TimeUnit.DAYS.toMillis(1)).rejectedTotal()).isEqualTo(2);
    }

    @Test
    void headersShowOnlyTheLimitsTheClientHasInOpenAisFormat() {
        ClientQuota q = quota(new ClientLimits(60, 0, 0, 0, 0));
        q.tryAdmit(T0, DAY0);
        HttpHeaders h = new DefaultHttpHeaders();
        q.addHeaders(h, T0);
        assertThat(h.get("x-ratelimit-limit-requests")).isEqualTo("60");
        assertThat(h.get("x-ratelimit-remaining-requests")).isEqualTo("59");
        assertThat(h.get("x-ratelimit-reset-requests")).isEqualTo("1s");
        assertThat(h.contains("x-ratelimit-limit-tokens")).isFalse();
        assertThat(ClientQuota.duration(TimeUnit.SECONDS.toNanos(90))).isEqualTo("1m30s");
        assertThat(ClientQuota.duration(TimeUnit.MILLISECONDS.toNanos(250))).isEqualTo("250ms");
    }
}
