package dev.llmproxy.upstream;

/**
 * One place a request may go: an upstream, the model id sent to it (which may differ from the id the client sent: an
 * alias target, or the part after {@code <upstream>/}), and that id's {@link ModelHandle}, resolved with the hop, by
 * which every per-model table after resolution finds the model's state.
 */
public record Hop(Upstream upstream, String model, ModelHandle handle) {

    /** {@code <upstream>/<model>}, as in the configuration file. */
    @Override
    public String toString() {
        return upstream.name() + "/" + model;
    }
}
