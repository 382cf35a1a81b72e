/**
 * The demo upstream: an in-process, simulated OpenAI-compatible server the proxy fronts when no real upstream is
 * configured, and which the tests and the bench use as a fast, deterministic upstream. It runs on its own event
 * loop, answers chat (JSON and paced SSE), embeddings and the model list ({@code /models}, {@code /v1/models}) for a
 * small list of its own ids (404 {@code model_not_found} for others, as OpenAI answers), plays the TTS engine the
 * {@code /tts} route fronts ({@code GET|HEAD /?text=…}: generated WAV audio with ranges and validators), and never
 * blocks.
 */
package dev.llmproxy.demo;
