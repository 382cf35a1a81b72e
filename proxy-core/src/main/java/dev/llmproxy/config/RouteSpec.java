package dev.llmproxy.config;

import java.util.List;

/**
 * A model alias clients may send, and the targets it stands for, tried in order: the next one only when the
 * previous failed before the first response byte reached the client.
 *
 * @param alias   the id a client sends; never an upstream's name
 * @param targets at least one
 */
public record RouteSpec(String alias, List<RouteTarget> targets) {

    public RouteSpec {
        targets = List.copyOf(targets);
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("routes." + alias + ": [] (expected: at least one target)");
        }
    }
}
