/**
 * The test toolkit every test of the proxy uses.
 *
 * <ul>
 *   <li>{@link dev.llmproxy.testing.LeakDetection} — a Netty leak report fails the test class that caused it
 *       (installed by {@link dev.llmproxy.testing.LeakDetectionSessionListener}, enforced by
 *       {@link dev.llmproxy.testing.LeakDetectionExtension}; nothing to declare in a test).</li>
 *   <li>{@link dev.llmproxy.testing.TestCertificates} — a self-signed {@code localhost} certificate, its PEM file
 *       for {@code UPSTREAM_CA_FILE}, a Netty server context and a JDK client context.</li>
 *   <li>{@link dev.llmproxy.testing.FakeUpstream} — a scriptable raw-Netty upstream that answers, streams SSE,
 *       stalls, closes or resets, records requests and sees the proxy close its connection.</li>
 *   <li>{@link dev.llmproxy.testing.RawHttpClient} — a blocking socket client that shows each body piece as it
 *       arrives, pipelines, aborts with RST, or stops reading.</li>
 *   <li>{@link dev.llmproxy.testing.RedisServer} — a real {@code redis-server} on a free port that tests can
 *       freeze (SIGSTOP), kill (SIGKILL) and restart.</li>
 * </ul>
 */
package dev.llmproxy.testing;
