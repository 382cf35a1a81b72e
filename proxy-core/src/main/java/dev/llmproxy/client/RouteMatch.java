package dev.llmproxy.client;

/**
 * The router's answer for one request line.
 *
 * @param route   the matched route, or null when no route has this path
 * @param pathArg the variable part of a template path ({@code {id}} of {@code /v1/models/{id}}), else null
 */
public record RouteMatch(Route route, String pathArg) {

    static final RouteMatch NONE = new RouteMatch(null, null);

    public boolean found() {
        return route != null;
    }
}
