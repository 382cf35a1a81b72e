package dev.llmproxy.config;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * What the proxy knows about models and how it keeps that current.
 *
 * @param catalogUrl        {@code GITHUB_MODELS_CATALOG_URL} when set; empty means GitHub's catalog for a GitHub Models
 *                          upstream, the embedded demo's {@code /catalog/models} for the demo, and no refresh for any
 *                          other upstream (its key must not travel to GitHub)
 * @param refreshEvery      how often the catalog is fetched again after start-up; zero = never fetched
 * @param contextCheck      refuse, before the upstream call, a chat or embeddings prompt that cannot fit the model
 * @param githubModels      the upstream is GitHub Models (or the demo, which simulates it): the Copilot plan's
 *                          per-request token caps and "n/a" models apply
 */
public record ModelsConfig(Optional<URI> catalogUrl, Duration refreshEvery, boolean contextCheck,
                           boolean githubModels) {
}
