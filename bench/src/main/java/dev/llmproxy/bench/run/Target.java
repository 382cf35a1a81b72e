package dev.llmproxy.bench.run;

/**
 * One server the scenarios are run against: the upstream itself ({@code direct}), the proxy, or a peer.
 *
 * @param name     {@code direct}, {@code proxy} or {@code nginx}
 * @param port     its port on 127.0.0.1
 * @param chatPath where it serves chat completions
 * @param ttsPath  where it serves TTS audio (the query is appended)
 * @param pid      the process that relays (proxy JVM, nginx master), or the upstream's for direct
 */
record Target(String name, int port, String chatPath, String ttsPath, long pid) {
    static final String DIRECT = "direct";
    static final String PROXY = "proxy";
    static final String NGINX = "nginx";

    static Target direct(int port, long pid) {
        return new Target(DIRECT, port, "/chat/completions", "/", pid);
    }

    static Target proxied(String name, int port, long pid) {
        return new Target(name, port, "/v1/chat/completions", "/tts", pid);
    }
}
