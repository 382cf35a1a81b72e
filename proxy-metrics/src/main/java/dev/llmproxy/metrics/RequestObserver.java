package dev.llmproxy.metrics;

/**
 * Receives every finished request, once, rejected and aborted ones included; called on the event loop that served it,
 * so it must not block, and must not throw (a failure to record must never fail the request).
 */
@FunctionalInterface
public interface RequestObserver {

    void onRequest(RequestSample sample);
}
