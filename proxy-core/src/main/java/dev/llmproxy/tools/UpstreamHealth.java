package dev.llmproxy.tools;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * One upstream as {@code /health} reports it: {@code upstreams[]} entries {@code {name, kind, url, reachable,
 * models, breaker}} (with {@code key_valid} when the proxy checks keys), or, from a proxy with a single upstream,
 * the {@code upstream: {mode, url}} object and the top-level {@code models}. A field the proxy does not report is
 * null and never counts as a problem. Immutable.
 *
 * @param name      the upstream's name
 * @param kind      its kind, or the single upstream's mode
 * @param url       its base URL (the proxy shows no credentials)
 * @param reachable whether the proxy reaches it, or null
 * @param keyValid  whether its key is accepted, or null
 * @param models    how many models it serves, or null
 * @param breaker   its circuit breaker state ({@code closed}, {@code open}, {@code half_open}), or null
 */
record UpstreamHealth(String name, String kind, String url, Boolean reachable, Boolean keyValid, String models,
                      String breaker) {

    static List<UpstreamHealth> from(JsonNode health) {
        List<UpstreamHealth> upstreams = new ArrayList<>();
        JsonNode list = health.path("upstreams");
        if (list.isArray()) {
            for (JsonNode entry : list) {
                JsonNode breaker = entry.path("breaker");
                upstreams.add(new UpstreamHealth(entry.path("name").asText("?"), text(entry.path("kind")),
                        text(entry.path("url")), bool(entry.path("reachable")),
                        bool(entry.has("key_valid") ? entry.path("key_valid") : entry.path("key_ok")),
                        text(entry.path("models")),
                        breaker.isObject() ? text(breaker.path("state")) : text(breaker)));
            }
        } else if (health.path("upstream").isObject()) {
            JsonNode single = health.path("upstream");
            upstreams.add(new UpstreamHealth(ProxyModel.DEFAULT_UPSTREAM, text(single.path("mode")),
                    text(single.path("url")), null, null, text(health.path("models")), null));
        }
        return upstreams;
    }

    /** What is wrong with this upstream, if anything. */
    List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (Boolean.FALSE.equals(reachable)) {
            problems.add("upstream " + name + " unreachable");
        }
        if (Boolean.FALSE.equals(keyValid)) {
            problems.add("upstream " + name + " refuses its key");
        }
        if ("open".equalsIgnoreCase(breaker)) {
            problems.add("upstream " + name + " circuit breaker open");
        }
        return problems;
    }

    String[] cells() {
        return new String[] {name, orDash(kind), orDash(url), yesNo(reachable), yesNo(keyValid), orDash(models),
                orDash(breaker)};
    }

    private static String text(JsonNode node) {
        return node.isValueNode() && !node.isNull() ? node.asText() : null;
    }

    private static Boolean bool(JsonNode node) {
        return node.isBoolean() ? node.booleanValue() : null;
    }

    private static String yesNo(Boolean value) {
        return value == null ? "-" : value ? "yes" : "no";
    }

    private static String orDash(String value) {
        return value == null || value.isEmpty() ? "-" : value;
    }
}
