package dev.llmproxy.admission;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.admission.UpstreamRateLimit.Kind;
import dev.llmproxy.openai.Json;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;

class RateLimitReportsTest {
    private static final String MINI = "openai/gpt-4o-mini";
    private static final String GPT4O = "openai/gpt-4o";
    private static final String R1 = "deepseek/deepseek-r1";
    private static final List<String> KNOWN = List.of(MINI, GPT4O, R1);

    // 1741642200000 ms since the epoch
    private final ManualTime time = ManualTime.at("2025-03-10T21:30:00Z");
    private final AdaptiveLimits adaptive = new AdaptiveLimits(30, KNOWN, time.clock(), time.nanoTime());
    private final QuotaTracker quota = new QuotaTracker(KNOWN, time.clock(), time.nanoTime());
    private final DailyUsage usage = new DailyUsage(KNOWN, time.clock());

    @Test
    void observedKeepsTheReferenceShape() {
        adaptive.onSuccess(MINI);
        adaptive.on429(GPT4O);

        assertThat(render(RateLimitReports.observed(adaptive.snapshot(), quota.snapshot()))).isEqualTo(json("""
                {'adaptive':true,'window_seconds':60,'data':{
                'openai/gpt-4o-mini':{'guess':36,'hardCap':false,'last429At':0,'updated_at':1741642200000},
                'openai/gpt-4o':{'guess':18,'hardCap':false,'last429At':1741642200000,'updated_at':1741642200000}}}"""));
    }

    @Test
    void observedAddsTheQuotaStateLearnedFromUpstream429s() {
        adaptive.on429(MINI);
        quota.onUpstream429(MINI, limit(Kind.USER_BY_MODEL_BY_MINUTE, 46));
        quota.onUpstream429(R1, limit(Kind.USER_BY_MODEL_BY_DAY, null));
        quota.onUpstream429(GPT4O, limit(Kind.USER_CONCURRENT_REQUESTS, 0), 2);
        quota.onUpstream429(GPT4O, limit(Kind.USER_BY_MINUTE, 20));

        assertThat(render(RateLimitReports.observed(adaptive.snapshot(), quota.snapshot()))).isEqualTo(json("""
                {'adaptive':true,'window_seconds':60,'paused_until':'2025-03-10T21:30:20Z','data':{
                'openai/gpt-4o-mini':{'guess':18,'hardCap':false,'last429At':1741642200000,'updated_at':1741642200000,
                'paused_until':'2025-03-10T21:30:46Z'},
                'openai/gpt-4o':{'concurrency_limit':1,'concurrency_limit_until':'2025-03-10T21:31:00Z'},
                'deepseek/deepseek-r1':{'daily_exhausted_until':'2025-03-11T00:00:00Z'}}}"""));
    }

    @Test
    void observedInstantsAreRoundedUpToTheSecond() {
        time.advance(Duration.ofMillis(250));
        quota.onUpstream429(MINI, limit(Kind.USER_BY_MODEL_BY_MINUTE, 10));

        ObjectNode body = RateLimitReports.observed(Map.of(), quota.snapshot());

        assertThat(body.at("/data/openai~1gpt-4o-mini/paused_until").textValue()).isEqualTo("2025-03-10T21:30:11Z");
    }

    @Test
    void observedWithAdaptiveOffIsTheReferencesBodyWhenNothingIsPaused() {
        assertThat(render(RateLimitReports.observedWithoutAdaptive(quota.snapshot())))
                .isEqualTo(json("{'adaptive':false}"));
    }

    @Test
    void observedWithAdaptiveOffStillShowsTheQuotaState() {
        quota.onUpstream429(MINI, limit(Kind.USER_BY_MODEL_BY_MINUTE, 46));

        assertThat(render(RateLimitReports.observedWithoutAdaptive(quota.snapshot()))).isEqualTo(json("""
                {'adaptive':false,'data':{'openai/gpt-4o-mini':{'paused_until':'2025-03-10T21:30:46Z'}}}"""));
    }

    @Test
    void dailyKeepsTheReferenceShapeAndAddsThePlansDailyLimitWhenKnown() {
        usage.record(MINI, false);
        usage.record(MINI, false);
        usage.record(MINI, true);
        usage.record("someone/unknown", false);
        Map<String, Integer> perDay = Map.of(MINI, 150);

        assertThat(render(RateLimitReports.daily(usage.snapshot(), perDay::get))).isEqualTo(json("""
                {'date':'2025-03-10','hours_until_reset':2.5,'models':{
                'openai/gpt-4o-mini':{'count':2,'errors':1,'per_day':150},
                'other':{'count':1,'errors':0}}}"""));
    }

    @Test
    void dailyHoursUntilResetHaveTwoDecimals() {
        time.advance(Duration.ofSeconds(17)); // 2 h 29 min 43 s to midnight = 2.49527… h

        ObjectNode body = RateLimitReports.daily(usage.snapshot(), model -> null);

        assertThat(render(body)).isEqualTo(json("{'date':'2025-03-10','hours_until_reset':2.5,'models':{}}"));
        time.advance(Duration.ofMinutes(20));
        assertThat(RateLimitReports.daily(usage.snapshot(), model -> null).get("hours_until_reset").doubleValue())
                .isEqualTo(2.16);
    }

    private static UpstreamRateLimit limit(Kind kind, Integer retryAfter) {
        return new UpstreamRateLimit(kind, kind.wireName(),
                retryAfter == null ? OptionalLong.empty() : OptionalLong.of(retryAfter),
                OptionalLong.empty(), "RateLimitReached", null);
    }

    private static String render(ObjectNode body) {
        return new String(Json.bytes(body), StandardCharsets.UTF_8);
    }

    /** Compact JSON written with single quotes, for readable expectations. */
    private static String json(String singleQuoted) {
        return singleQuoted.replace('\'', '"').replace("\n", "");
    }
}
