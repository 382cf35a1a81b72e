package dev.llmproxy.bench.run;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * One reading of the proxy's live state: the JVM's resident set from {@code /proc}, and from its {@code /metrics} the
 * heap in use, open client connections, upstream calls holding or waiting for a slot, and the upstream pools'
 * connections (summed over upstreams).
 *
 * @param seconds            since the soak began
 * @param rssKb              VmRSS of the proxy JVM
 * @param heapBytes          {@code jvm_memory_bytes_used{area="heap"}}: live data and garbage not yet collected
 * @param heapAfterGcBytes   {@code jvm_memory_pool_collection_used_bytes}, all pools: the heap as the last
 *                           collection of each pool left it — what the proxy holds on to
 * @param clientConnections  {@code http_open_connections}, less the scrape's own connection
 * @param upstreamActive     {@code upstream_active_current}
 * @param upstreamQueue      {@code upstream_queue_length}
 * @param upstreamOpen       {@code upstream_connections_open}, all upstreams
 * @param upstreamIdle       {@code upstream_connections_idle}, all upstreams
 */
record ProxyGauges(double seconds, long rssKb, double heapBytes, double heapAfterGcBytes, double clientConnections,
                   double upstreamActive, double upstreamQueue, double upstreamOpen, double upstreamIdle) {

    /** Reads both; a connection of its own per reading, closed by the proxy after the answer. */
    static ProxyGauges read(double seconds, long pid, int port) throws IOException {
        long rss = Soak.rssKb(pid);
        String metrics = scrape(port);
        return new ProxyGauges(seconds, rss, sum(metrics, "jvm_memory_bytes_used{area=\"heap\""),
                sum(metrics, "jvm_memory_pool_collection_used_bytes"), sum(metrics, "http_open_connections") - 1, sum(metrics, "upstream_active_current"),
                sum(metrics, "upstream_queue_length"), sum(metrics, "upstream_connections_open"),
                sum(metrics, "upstream_connections_idle"));
    }

    /** Nothing in flight: no client connection but the scrape's, no slot held or awaited, all upstream ones idle. */
    boolean quiet() {
        return clientConnections <= 0 && upstreamActive == 0 && upstreamQueue == 0 && upstreamOpen == upstreamIdle;
    }

    double rssMb() {
        return rssKb / 1024.0;
    }

    double heapMb() {
        return heapBytes / (1024.0 * 1024.0);
    }

    double heapAfterGcMb() {
        return heapAfterGcBytes / (1024.0 * 1024.0);
    }

    private static String scrape(int port) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/metrics").toURL()
                .openConnection();
        c.setRequestProperty("Connection", "close");
        c.setConnectTimeout(5000);
        c.setReadTimeout(10_000);
        try (InputStream in = c.getInputStream()) {
            if (c.getResponseCode() != 200) {
                throw new IOException("GET /metrics: " + c.getResponseCode());
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            c.disconnect();
        }
    }

    /** The sum of every sample whose line starts with {@code prefix} (a name, or a name and its first labels). */
    static double sum(String metrics, String prefix) {
        double total = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith(prefix) && line.length() > prefix.length()) {
                char next = line.charAt(prefix.length());
                if (next == ' ' || next == '{' || next == ',' || prefix.endsWith("\"")) {
                    total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
                }
            }
        }
        return total;
    }
}
