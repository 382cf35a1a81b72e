package dev.llmproxy.cluster;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;

import java.time.Clock;
import java.util.List;

/**
 * One request's shared limits in two calls: {@link #check} before the upstream call — every limit the request needs
 * (the client key's and the upstream's) judged and taken in one script, all or nothing — and {@link #settle} after
 * it — leases released, exact usage charged — in one fire-and-forget script. A request through Redis thus costs one
 * round trip before its upstream call and one command after it.
 *
 * <p>Threading: any thread; results arrive on the executor given (see {@link RedisCall}).
 */
public final class SharedAdmission {

    private final RedisConnector connector;
    private final RedisHealth health;
    private final RedisKeys keys;
    private final SharedClock clock;
    private final Clock wallClock;
    private final SharedLeases leases;
    private final SharedCounters counters;

    SharedAdmission(RedisConnector connector, RedisHealth health, RedisKeys keys, SharedClock clock, Clock wallClock,
                    SharedLeases leases, SharedCounters counters) {
        this.connector = connector;
        this.health = health;
        this.keys = keys;
        this.clock = clock;
        this.wallClock = wallClock;
        this.leases = leases;
        this.counters = counters;
    }

    /** An empty set of checks for one request; day and month are today's (UTC, the proxy's clock). */
    public RequestChecks checks() {
        return new RequestChecks(keys, leases, UsagePeriod.of(wallClock.instant()));
    }

    /** An empty set of charges for one request on {@code loop} (its call goes on that loop's connection). */
    public RequestCharges charges(EventExecutor loop) {
        return new RequestCharges(keys, UsagePeriod.of(wallClock.instant()), loop);
    }

    /**
     * Judges every check and takes what they ask only if all pass. The result arrives on {@code executor} within
     * {@code REDIS_TIMEOUT_MS}, unavailable if Redis did not answer. A granted lease is the caller's to release
     * ({@link RequestCharges#release}), also when its request went away while the answer was on its way.
     */
    public Future<CheckResults> check(EventExecutor executor, RequestChecks checks) {
        int n = checks.keyList.size();
        String[] k = checks.keyList.toArray(new String[n]);
        String[] a = new String[4 + checks.argList.size()];
        UsagePeriod period = checks.period();
        a[0] = Long.toString(clock.nowMicros());
        a[1] = Long.toString(leases.ttlMicros());
        a[2] = Long.toString(period.dayEndMillis());
        a[3] = Long.toString(period.monthEndMillis());
        List<String> args = checks.argList;
        for (int i = 0; i < args.size(); i++) {
            a[4 + i] = args.get(i);
        }
        return new CheckCall(executor, k, a, checks).send(connector);
    }

    /**
     * Sends what {@code charges} holds in one script and does not wait. If Redis does not answer, counter additions
     * are kept and added once it is back; leases not released expire after their time to live (they are no longer
     * renewed); bucket charges are lost.
     */
    public void settle(RequestCharges charges) {
        if (charges.isEmpty()) {
            return;
        }
        new SettleCall(charges).send(connector);
    }

    private String[] settleArgs(RequestCharges charges) {
        List<String> args = charges.argList;
        String[] a = new String[1 + args.size()];
        a[0] = Long.toString(clock.nowMicros());
        for (int i = 0; i < args.size(); i++) {
            a[1 + i] = args.get(i);
        }
        return a;
    }

    private final class CheckCall extends ScriptCall<CheckResults> {
        private final EventExecutor executor;
        private final RequestChecks checks;

        CheckCall(EventExecutor executor, String[] keys, String[] args, RequestChecks checks) {
            super(health, executor, LuaScript.REQUEST_ADMIT, keys, args);
            this.executor = executor;
            this.checks = checks;
        }

        @Override
        CheckResults decode(Object reply) {
            List<?> r = (List<?>) reply;
            int n = checks.size();
            if (r.size() != 1 + 4 * n) {
                throw new IllegalStateException("reply: " + r.size() + " values (expected: " + (1 + 4 * n) + ")");
            }
            boolean admitted = (Long) r.get(0) == 1;
            long[] values = new long[4 * n];
            for (int i = 0; i < values.length; i++) {
                values[i] = (Long) r.get(1 + i);
            }
            SharedLease[] granted = new SharedLease[n];
            if (admitted) {
                for (int i = 0; i < n; i++) {
                    SharedLease lease = checks.leaseOf(i);
                    if (lease != null) {
                        leases.granted(lease);
                        granted[i] = lease;
                    }
                }
            }
            return new CheckResults(true, admitted, values, granted);
        }

        @Override
        CheckResults unavailable() {
            // A timed-out check may still have taken its leases in Redis: a removal sent after it on the same
            // connection runs after it, so the slots are not kept from others for a whole time to live
            if (sent()) {
                RequestCharges undo = charges(executor);
                for (int i = 0; i < checks.size(); i++) {
                    undo.release(checks.leaseOf(i));
                }
                if (!undo.isEmpty()) {
                    new SettleCall(undo).sendEvenIfDown(connector);
                }
            }
            return CheckResults.unavailable();
        }
    }

    private final class SettleCall extends ScriptCall<Boolean> {
        private final RequestCharges charges;

        SettleCall(RequestCharges charges) {
            super(health, charges.loop(), LuaScript.REQUEST_SETTLE,
                    charges.keyList.toArray(new String[0]), settleArgs(charges));
            this.charges = charges;
        }

        @Override
        Boolean decode(Object reply) {
            return true;
        }

        @Override
        Boolean unavailable() {
            // called once per call that Redis did not answer: keep the usage for when it is back
            List<Object> adds = charges.additions;
            for (int i = 0; i + 1 < adds.size(); i += 2) {
                counters.keep((String) adds.get(i), charges.period(), (Long) adds.get(i + 1));
            }
            return false;
        }
    }
}
