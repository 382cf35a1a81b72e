package dev.llmproxy.cluster;

import io.netty.util.concurrent.EventExecutor;

import java.util.ArrayList;
import java.util.List;

/**
 * What one request gives back and charges when it is over (or when it was admitted and never went), gathered so
 * that {@link SharedAdmission#settle} sends it as one fire-and-forget script: leases released, buckets charged
 * (exact usage minus the estimate; a negative cost refunds), usage added to day and month counters. The client's pass
 * and the upstream's gate entry add to the same instance.
 *
 * <p>Threading: built on one thread, then handed to {@link SharedAdmission#settle}; not reused.
 */
public final class RequestCharges {

    private final RedisKeys keys;
    private final UsagePeriod period;
    private final EventExecutor loop;
    final List<String> keyList = new ArrayList<>(6);
    final List<String> argList = new ArrayList<>(16);
    /** Counter additions, kept for Redis's return if the call goes unanswered: name, amount. */
    final List<Object> additions = new ArrayList<>(2);

    RequestCharges(RedisKeys keys, UsagePeriod period, EventExecutor loop) {
        this.keys = keys;
        this.period = period;
        this.loop = loop;
    }

    /** Releases {@code lease} (once; a lease already released is skipped). */
    public void release(SharedLease lease) {
        if (lease == null || !lease.claimRelease()) {
            return;
        }
        lease.owner().forget(lease);
        keyList.add(keys.leases(lease.scope()));
        argList.add("l");
        argList.add(lease.id());
    }

    /** Charges the spec's cost to its bucket whatever its state; a negative cost refunds. A cost of 0 is skipped. */
    public void charge(BucketSpec bucket) {
        if (bucket.cost() == 0) {
            return;
        }
        keyList.add(keys.bucket(bucket.name()));
        argList.add("b");
        argList.add(Long.toString(bucket.rate()));
        argList.add(Long.toString(bucket.periodMicros()));
        argList.add(Long.toString(bucket.burst()));
        argList.add(Long.toString(bucket.cost()));
    }

    /** Adds {@code amount} to today's and this month's totals of {@code counter}. An amount of 0 is skipped. */
    public void add(String counter, long amount) {
        if (amount == 0) {
            return;
        }
        keyList.add(keys.counter(counter, period.dayId()));
        keyList.add(keys.counter(counter, period.monthId()));
        argList.add("c");
        argList.add("2");
        argList.add(Long.toString(amount));
        argList.add(Long.toString(period.dayEndMillis()));
        argList.add(Long.toString(period.monthEndMillis()));
        additions.add(counter);
        additions.add(amount);
    }

    public boolean isEmpty() {
        return argList.isEmpty();
    }

    UsagePeriod period() {
        return period;
    }

    /** The request's event loop: the call goes on its connection, after the request's admission script. */
    EventExecutor loop() {
        return loop;
    }
}
