package dev.llmproxy.config;

import java.time.Duration;

/**
 * The embedded simulated upstream, started when neither a token nor {@code OPENAI_BASE_URL} is configured.
 *
 * @param tokenDelay pause between two streamed tokens (SSE pacing)
 */
public record DemoConfig(Duration tokenDelay) {
}
