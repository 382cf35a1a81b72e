package dev.llmproxy.metrics;

/** Receives every finished request; called on the event loop that served it, so it must not block. */
@FunctionalInterface
public interface RequestObserver {

    void onRequest(RequestSample sample);
}
