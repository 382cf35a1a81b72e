/**
 * The demo upstream: an in-process, simulated OpenAI-compatible server the proxy fronts when no real upstream is
 * configured, and which the tests and the bench use as a fast, deterministic upstream. It runs on its own event
 * loop, answers chat (JSON and paced SSE), embeddings, the model list and GitHub's model catalog
 * ({@code /catalog/models}), plays the TTS engine the {@code /tts} route fronts ({@code GET|HEAD /?text=…}:
 * generated WAV audio with ranges and validators), and never blocks.
 */
package dev.llmproxy.demo;
