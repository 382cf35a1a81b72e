package dev.llmproxy.demo;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the demo's audio streams are doing, for tests that check backpressure and cancellation from outside: streams
 * in flight, bytes handed to the sockets, and the most bytes ever left queued in a connection's outbound buffer.
 *
 * <p>Threading: written by the demo's event loop, read from any thread.
 */
final class DemoAudioGauges {
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong bytesWritten = new AtomicLong();
    private final AtomicLong maxPendingOutboundBytes = new AtomicLong();
    private final AtomicLong pauses = new AtomicLong();

    void started() {
        inFlight.incrementAndGet();
    }

    void ended() {
        inFlight.decrementAndGet();
    }

    /** One chunk written; {@code pendingOutboundBytes} is what its channel still holds right after it. */
    void wrote(int bytes, long pendingOutboundBytes) {
        bytesWritten.addAndGet(bytes);
        maxPendingOutboundBytes.accumulateAndGet(pendingOutboundBytes, Math::max);
    }

    /** A stream stopped generating because its channel was not writable. */
    void paused() {
        pauses.incrementAndGet();
    }

    int inFlight() {
        return inFlight.get();
    }

    long bytesWritten() {
        return bytesWritten.get();
    }

    long maxPendingOutboundBytes() {
        return maxPendingOutboundBytes.get();
    }

    long pauses() {
        return pauses.get();
    }
}
