package dev.llmproxy.upstream;

/** Too many exchanges already wait for an upstream connection on this event loop. */
public final class PoolExhaustedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PoolExhaustedException(int waiting) {
        super(waiting + " requests already wait for an upstream connection", null, false, false);
    }
}
