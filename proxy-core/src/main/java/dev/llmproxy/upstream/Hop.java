package dev.llmproxy.upstream;

/**
 * One place a request may go: an upstream and the model id sent to it (which may differ from the id the client
 * sent: an alias target, or the part after {@code <upstream>/}).
 */
public record Hop(Upstream upstream, String model) {

    /** {@code <upstream>/<model>}, as in the configuration file. */
    @Override
    public String toString() {
        return upstream.name() + "/" + model;
    }
}
