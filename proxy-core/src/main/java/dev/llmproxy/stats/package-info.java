/**
 * Usage statistics and per-client history for the local JSON endpoints: {@code GET /v1/stats} (per-model counts,
 * tokens, latency and TTFT percentiles, the reference's efficiency report) and {@code GET|POST /v1/history}.
 * Everything here is in memory, bounded, and safe to call from any event loop.
 */
package dev.llmproxy.stats;
