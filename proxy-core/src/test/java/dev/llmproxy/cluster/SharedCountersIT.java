package dev.llmproxy.cluster;

import dev.llmproxy.testing.RedisServer;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static dev.llmproxy.cluster.Replicas.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class SharedCountersIT {

    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private final Replicas replicas = new Replicas(REDIS.url());

    @AfterEach
    void closeReplicas() {
        replicas.close();
    }

    private SharedCounters countersAt(Clock wall) {
        return replicas.start(SharedClock.server(), Replicas.TEST_TIMINGS, wall).counters();
    }

    @Test
    void replicasAddToOneDailyAndOneMonthlyTotal() {
        Clock wall = Clock.systemUTC();
        List<SharedCounters> three = List.of(countersAt(wall), countersAt(wall), countersAt(wall));
        List<Future<PeriodCounts>> adds = new ArrayList<>();
        for (int i = 1; i <= 30; i++) {
            adds.add(three.get(i % 3).add(replicas.loop(), "client:team-a:tokens", i));
        }
        long highest = adds.stream().map(Replicas::get).mapToLong(PeriodCounts::day).max().orElseThrow();

        PeriodCounts read = get(three.get(0).read(replicas.loop(), "client:team-a:tokens"));
        assertThat(highest).isEqualTo(465);
        assertThat(read).isEqualTo(new PeriodCounts(true, 465, 465));
        assertThat(get(three.get(1).read(replicas.loop(), "client:team-b:tokens")))
                .isEqualTo(new PeriodCounts(true, 0, 0));
    }

    @Test
    void aNewDayStartsAtZeroWhileTheMonthGoesOn() {
        Instant morning = Instant.parse("2030-01-15T08:00:00Z");
        SharedCounters today = countersAt(Clock.fixed(morning, ZoneOffset.UTC));
        SharedCounters tomorrow = countersAt(Clock.fixed(morning.plus(Duration.ofDays(1)), ZoneOffset.UTC));
        SharedCounters nextMonth = countersAt(Clock.fixed(Instant.parse("2030-02-01T00:00:00Z"), ZoneOffset.UTC));

        assertThat(get(today.add(replicas.loop(), "client:b:requests", 3))).isEqualTo(new PeriodCounts(true, 3, 3));
        assertThat(get(tomorrow.add(replicas.loop(), "client:b:requests", 2))).isEqualTo(new PeriodCounts(true, 2, 5));
        assertThat(get(today.read(replicas.loop(), "client:b:requests"))).isEqualTo(new PeriodCounts(true, 3, 5));
        assertThat(get(nextMonth.read(replicas.loop(), "client:b:requests"))).isEqualTo(new PeriodCounts(true, 0, 0));
    }

    @Test
    void eachCounterExpiresWhenItsUtcPeriodEnds() throws IOException {
        SharedCounters counters = countersAt(Clock.systemUTC());
        Instant now = Instant.now();
        get(counters.add(replicas.loop(), "client:c:tokens", 10));

        UsagePeriod period = UsagePeriod.of(now);
        long dayLeft = pttl(replicas.prefix() + "count:client:c:tokens:" + period.dayId());
        long monthLeft = pttl(replicas.prefix() + "count:client:c:tokens:" + period.monthId());
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        long toMidnight = Duration.between(now, today.plusDays(1).atStartOfDay(ZoneOffset.UTC)).toMillis();
        long toFirst = Duration.between(now, today.withDayOfMonth(1).plusMonths(1).atStartOfDay(ZoneOffset.UTC))
                .toMillis();
        assertThat(dayLeft).isCloseTo(toMidnight, within(10_000L));
        assertThat(monthLeft).isCloseTo(toFirst, within(10_000L));
    }

    @Test
    void aCounterOfAPeriodThatIsOverIsGone() {
        SharedCounters past = countersAt(Clock.fixed(Instant.parse("2020-03-10T12:00:00Z"), ZoneOffset.UTC));

        assertThat(get(past.add(replicas.loop(), "client:d:requests", 4))).isEqualTo(new PeriodCounts(true, 4, 4));

        assertThat(get(past.read(replicas.loop(), "client:d:requests"))).isEqualTo(new PeriodCounts(true, 0, 0));
    }

    private static long pttl(String key) throws IOException {
        String reply = REDIS.command("PTTL", key);
        assertThat(reply).startsWith(":");
        return Long.parseLong(reply.substring(1));
    }
}
