package dev.llmproxy.cluster;

/**
 * The answer to {@link SharedLeases#acquire}. Immutable.
 *
 * @param status what happened
 * @param lease  the slot, only when {@link Status#GRANTED}; the caller must {@link SharedLease#release()} it — also
 *               when its request went away while the grant was on its way
 * @param held   leases of the scope held after the call, by every replica; -1 when unavailable
 */
public record LeaseGrant(Status status, SharedLease lease, long held) {

    static final LeaseGrant UNAVAILABLE = new LeaseGrant(Status.UNAVAILABLE, null, -1);

    public enum Status {
        /** A slot was free and is now this caller's. */
        GRANTED,
        /** Every slot is taken; nothing is held. Wait (queue locally) and try again, or refuse. */
        FULL,
        /** Redis did not answer: apply {@code REDIS_FAILURE_MODE}. */
        UNAVAILABLE
    }

    public boolean granted() {
        return status == Status.GRANTED;
    }
}
