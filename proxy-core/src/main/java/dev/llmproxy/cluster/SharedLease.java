package dev.llmproxy.cluster;

import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One concurrency slot held in Redis by this replica, from a granted {@link SharedLeases#acquire} until
 * {@link #release()}. While held, the replica's heartbeat renews it; if the replica dies, it expires by itself after
 * the lease time to live. Threading: any thread.
 */
public final class SharedLease {

    private final SharedLeases owner;
    private final String scope;
    private final String id;
    private final AtomicBoolean released = new AtomicBoolean();
    private volatile boolean lost;

    SharedLease(SharedLeases owner, String scope, String id) {
        this.owner = owner;
        this.scope = scope;
        this.id = id;
    }

    public String scope() {
        return scope;
    }

    /** Unique across replicas and restarts. */
    public String id() {
        return id;
    }

    /**
     * Gives the slot back; nobody needs to wait for the result, which is true once Redis removed the lease. Idempotent
     * (later calls answer false). If Redis does not answer, the slot stays taken until the lease expires (at most the
     * lease time to live), because it is no longer renewed.
     */
    public Future<Boolean> release() {
        if (released.compareAndSet(false, true)) {
            return owner.released(this);
        }
        return ImmediateEventExecutor.INSTANCE.newSucceededFuture(Boolean.FALSE);
    }

    /** Marks the lease released, once: true for the one caller that then removes it from Redis. */
    boolean claimRelease() {
        return released.compareAndSet(false, true);
    }

    SharedLeases owner() {
        return owner;
    }

    /**
     * True when a renewal found the lease gone (it expired while Redis was unreachable for longer than the time to
     * live). The call it guards may go on; its slot no longer counts against the limit.
     */
    public boolean lost() {
        return lost;
    }

    void markLost() {
        lost = true;
    }

    @Override
    public String toString() {
        return "SharedLease[" + scope + " " + id + "]";
    }
}
