package dev.llmproxy.cluster;

import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;

import java.time.Clock;
import java.util.List;

/**
 * Usage counters shared by every replica, each kept per UTC day and per UTC month — requests per day ({@code rpd}),
 * tokens against a {@code monthly_tokens} budget. One script adds to both and returns the totals; each key expires
 * when its period ends. The proxy charges exact usage after a response and reads the totals before the next request.
 *
 * <p>While Redis is unavailable, additions are kept ({@link PendingUsage}) and added when it answers again, so an
 * outage does not reset anybody's budget. The day and month come from the proxy's wall clock (UTC); replicas whose
 * clocks disagree by a second may book a request made at midnight into different days.
 *
 * <p>Threading: any thread; results arrive on the executor given.
 */
public final class SharedCounters {

    private final RedisConnector connector;
    private final RedisHealth health;
    private final RedisKeys keys;
    private final Clock clock;
    private final PendingUsage pending = new PendingUsage();

    SharedCounters(RedisConnector connector, RedisHealth health, RedisKeys keys, Clock clock) {
        this.connector = connector;
        this.health = health;
        this.keys = keys;
        this.clock = clock;
    }

    /**
     * Adds {@code amount} to today's and this month's totals of {@code name}.
     *
     * @return the totals after the addition; unavailable if Redis did not answer, in which case the amount is added
     *         once Redis is back
     */
    public Future<PeriodCounts> add(EventExecutor executor, String name, long amount) {
        UsagePeriod period = UsagePeriod.of(clock.instant());
        String[] k = {keys.counter(name, period.dayId()), keys.counter(name, period.monthId())};
        String[] a = {Long.toString(amount), Long.toString(period.dayEndMillis()),
                Long.toString(period.monthEndMillis())};
        return new AddCall(health, executor, k, a, name, period, amount).send(connector);
    }

    /** Today's and this month's totals of {@code name}. */
    public Future<PeriodCounts> read(EventExecutor executor, String name) {
        UsagePeriod period = UsagePeriod.of(clock.instant());
        return new ReadCall(health, executor, keys.counter(name, period.dayId()), keys.counter(name, period.monthId()))
                .send(connector);
    }

    /** Keeps {@code amount} of {@code name}'s usage in {@code period} for Redis's return (it did not answer). */
    void keep(String name, UsagePeriod period, long amount) {
        pending.add(name, period, amount);
    }

    /** Usage made while Redis was unavailable and not yet added to it. */
    public long pendingUsage() {
        return pending.pending();
    }

    /** Usage given up because too many counters were waiting for Redis. */
    public long droppedUsage() {
        return pending.dropped();
    }

    /**
     * Adds the usage kept during an outage to the periods it was made in — to the month only if its day has ended,
     * to nothing if the month has too. Runs when Redis answers again; what fails again stays pending.
     */
    void reconcile() {
        long now = clock.millis();
        pending.drain((entry, amount) -> {
            UsagePeriod p = entry.period();
            String[] k;
            String[] a;
            if (p.dayEndMillis() > now) {
                k = new String[] {keys.counter(entry.name(), p.dayId()), keys.counter(entry.name(), p.monthId())};
                a = new String[] {Long.toString(amount), Long.toString(p.dayEndMillis()),
                        Long.toString(p.monthEndMillis())};
            } else if (p.monthEndMillis() > now) {
                k = new String[] {keys.counter(entry.name(), p.monthId())};
                a = new String[] {Long.toString(amount), Long.toString(p.monthEndMillis())};
            } else {
                return;
            }
            new AddCall(health, ImmediateEventExecutor.INSTANCE, k, a, entry.name(), p, amount).send(connector);
        });
    }

    private final class AddCall extends ScriptCall<PeriodCounts> {
        private final String name;
        private final UsagePeriod period;
        private final long amount;

        AddCall(RedisHealth health, EventExecutor executor, String[] keys, String[] args, String name,
                UsagePeriod period, long amount) {
            super(health, executor, LuaScript.COUNTER_ADD, keys, args);
            this.name = name;
            this.period = period;
            this.amount = amount;
        }

        @Override
        PeriodCounts decode(Object reply) {
            List<?> r = (List<?>) reply;
            // a reconciliation of an ended day adds to the month only
            return r.size() == 2 ? new PeriodCounts(true, (Long) r.get(0), (Long) r.get(1))
                    : new PeriodCounts(true, 0, (Long) r.get(0));
        }

        @Override
        PeriodCounts unavailable() {
            // called once per call that Redis did not answer: keep the usage for when it is back
            pending.add(name, period, amount);
            return PeriodCounts.UNAVAILABLE;
        }
    }

    private static final class ReadCall extends RedisCall<PeriodCounts> {
        private final String dayKey;
        private final String monthKey;

        ReadCall(RedisHealth health, EventExecutor executor, String dayKey, String monthKey) {
            super(health, executor);
            this.dayKey = dayKey;
            this.monthKey = monthKey;
        }

        @Override
        RedisFuture<?> issue(RedisAsyncCommands<String, String> commands) {
            return commands.mget(dayKey, monthKey);
        }

        @Override
        PeriodCounts decode(Object reply) {
            List<?> r = (List<?>) reply;
            return new PeriodCounts(true, count(r.get(0)), count(r.get(1)));
        }

        private static long count(Object keyValue) {
            KeyValue<?, ?> kv = (KeyValue<?, ?>) keyValue;
            return kv.hasValue() ? Long.parseLong((String) kv.getValue()) : 0;
        }

        @Override
        PeriodCounts unavailable() {
            return PeriodCounts.UNAVAILABLE;
        }
    }
}
