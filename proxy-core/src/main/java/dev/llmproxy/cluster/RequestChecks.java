package dev.llmproxy.cluster;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Every shared limit one request must pass before its upstream call, gathered so that {@link SharedAdmission#check}
 * sends them in one script and Redis takes from all of them or from none: buckets, pauses, the day's request count,
 * a monthly budget, concurrency leases. Each method adds one check and returns its index, by which
 * {@link CheckResults} answers. Built per request by whoever decides (the client's pass, the upstream's gate entry),
 * possibly by both into the same instance.
 *
 * <p>Threading: built on one thread, then handed to {@link SharedAdmission#check}; not reused.
 */
public final class RequestChecks {

    private final RedisKeys keys;
    private final SharedLeases leases;
    private final UsagePeriod period;
    final List<String> keyList = new ArrayList<>(8);
    final List<String> argList = new ArrayList<>(32);
    private SharedLease[] newLeases = new SharedLease[4];
    private int count;

    RequestChecks(RedisKeys keys, SharedLeases leases, UsagePeriod period) {
        this.keys = keys;
        this.leases = leases;
        this.period = period;
    }

    /** Refuses while {@code scope} is paused ({@link UpstreamSignals#pause}). */
    public int pause(String scope) {
        keyList.add(keys.pause(scope));
        argList.add("p");
        return count++;
    }

    /** Takes the spec's cost (&gt;= 0; 0 only checks the bucket is not in debt) from a GCRA bucket. */
    public int bucket(BucketSpec bucket) {
        if (bucket.cost() < 0) {
            throw new IllegalArgumentException("cost: " + bucket.cost() + " of bucket " + bucket.name()
                    + " (expected: >= 0; refunds go through RequestCharges)");
        }
        keyList.add(keys.bucket(bucket.name()));
        argList.add("b");
        argList.add(Long.toString(bucket.rate()));
        argList.add(Long.toString(bucket.periodMicros()));
        argList.add(Long.toString(bucket.burst()));
        argList.add(Long.toString(bucket.cost()));
        return count++;
    }

    /** Counts the request into today's and this month's totals of {@code counter}; refuses beyond {@code dayLimit}. */
    public int countRequest(String counter, long dayLimit) {
        keyList.add(keys.counter(counter, period.dayId()));
        keyList.add(keys.counter(counter, period.monthId()));
        argList.add("r");
        argList.add(Long.toString(Math.max(0, dayLimit)));
        return count++;
    }

    /** Refuses once this month's total of {@code counter} has reached {@code monthLimit}; takes nothing. */
    public int budget(String counter, long monthLimit) {
        keyList.add(keys.counter(counter, period.monthId()));
        argList.add("m");
        argList.add(Long.toString(Math.max(0, monthLimit)));
        return count++;
    }

    /** Takes a concurrency slot of {@code scope} if fewer than {@code limit} are held by every replica. */
    public int lease(String scope, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: >= 1)");
        }
        SharedLease lease = leases.newLease(scope);
        keyList.add(keys.leases(scope));
        argList.add("l");
        argList.add(Integer.toString(limit));
        argList.add(lease.id());
        if (count >= newLeases.length) {
            newLeases = Arrays.copyOf(newLeases, newLeases.length * 2);
        }
        newLeases[count] = lease;
        return count++;
    }

    /** Checks added so far. */
    public int size() {
        return count;
    }

    UsagePeriod period() {
        return period;
    }

    /** The lease check {@code check} asks for, or null if it is not a lease check. */
    SharedLease leaseOf(int check) {
        return check < newLeases.length ? newLeases[check] : null;
    }
}
