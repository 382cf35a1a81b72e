package dev.llmproxy.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The {@code /tts} pass-through to a text-to-speech engine (REFERENCE §8).
 *
 * @param enabled          serve {@code /tts}
 * @param target           the engine's base URL; empty = the embedded demo upstream's TTS
 * @param maxTextChars     longest {@code text} accepted, in characters
 * @param voices           accepted {@code voice} values
 * @param firstByteTimeout longest wait for the engine's response head (504 after)
 */
public record TtsConfig(boolean enabled, Optional<URI> target, int maxTextChars, List<String> voices,
                        Duration firstByteTimeout) {

    public TtsConfig {
        voices = List.copyOf(voices);
    }

    public TtsConfig withTarget(URI url) {
        return new TtsConfig(enabled, Optional.of(url), maxTextChars, voices, firstByteTimeout);
    }
}
