package dev.llmproxy.config;

/**
 * One target of a route: a configured upstream and the model id sent to it.
 *
 * @param upstream the upstream's name
 * @param model    the id as the upstream knows it; may itself contain {@code /} and {@code :}
 */
public record RouteTarget(String upstream, String model) {

    /** {@code <upstream>/<model>}, as written in the file. */
    @Override
    public String toString() {
        return upstream + "/" + model;
    }
}
