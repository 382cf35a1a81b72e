package dev.llmproxy.config;

import java.nio.file.Path;

/**
 * Where the upstreams came from, for the start-up log and {@code /health}.
 *
 * @param kind   file, environment shortcut or embedded demo
 * @param detail the file path as given, or the environment variable that chose the shortcut; empty for the demo
 */
public record ConfigSource(Kind kind, String detail) {

    public static ConfigSource file(Path path) {
        return new ConfigSource(Kind.FILE, path.toString());
    }

    public static ConfigSource environment(Setting shortcut) {
        return new ConfigSource(Kind.ENVIRONMENT, shortcut.envName());
    }

    public static ConfigSource demo() {
        return new ConfigSource(Kind.DEMO, "");
    }

    /** {@code file llm-proxy.yaml}, {@code environment OPENAI_API_KEY}, {@code embedded demo upstream}. */
    public String describe() {
        return switch (kind) {
            case FILE -> "file " + detail;
            case ENVIRONMENT -> "environment " + detail;
            case DEMO -> "embedded demo upstream";
        };
    }

    public enum Kind { FILE, ENVIRONMENT, DEMO }
}
