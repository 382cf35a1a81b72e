package dev.llmproxy.config;

/**
 * A line the server logs at start-up about its upstream configuration: which source won, what was ignored, what
 * will probably not work. Never holds a secret.
 *
 * @param level how the server logs it
 * @param text  one line
 */
public record ConfigNote(Level level, String text) {

    static ConfigNote info(String text) {
        return new ConfigNote(Level.INFO, text);
    }

    static ConfigNote warning(String text) {
        return new ConfigNote(Level.WARNING, text);
    }

    /** The one warning every GitHub Models upstream gets; {@code prefix} says which. */
    static ConfigNote githubModelsRetired(String prefix) {
        return warning(prefix + "GitHub Models was retired on 2026-07-30; its API answers 410 Gone");
    }

    public enum Level { INFO, WARNING }
}
