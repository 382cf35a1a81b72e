package dev.llmproxy.bench.run;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.bench.load.LoadGenerator;
import dev.llmproxy.bench.load.LoadPlan;
import dev.llmproxy.bench.load.LoadResult;
import dev.llmproxy.bench.load.RequestSpec;
import dev.llmproxy.config.ClientKeyDigest;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The {@code redis} scenario: what sharing a client key's limits through Redis adds to a request. Two more proxies
 * start beside the run's own, both in front of the same demo upstream and both with one client key limited in every
 * way ({@code rpm}, {@code tpm}, {@code rpd}, {@code concurrency}, {@code monthly_tokens}, all far above the load so
 * nothing is refused): one keeps the limits in-process, the other in a local {@code redis-server} ({@code REDIS_URL}).
 * The same unary load (concurrency 1, then open loop at {@code --rate}) goes through each; "added" is Redis minus
 * in-process, per percentile — the round trips of admission (the client's limits, then the upstream's pauses) and
 * nothing else.
 *
 * <p>Threading: the bench's main thread.
 */
final class RedisScenario {
    private static final Pattern PROXY_READY = Pattern.compile("llm-proxy listening on http://[^:]+:(\\d+)");
    private static final Pattern REDIS_READY = Pattern.compile("Ready to accept connections");
    private static final String KEY = "bench-client-key-0123456789";
    static final String LOCAL = "client key, in-process";
    static final String SHARED = "client key, in Redis";
    private static final int ROUNDS = 4;

    private final BenchOptions o;
    private final LoadGenerator generator;
    private final Report report;
    private final int upstreamPort;

    RedisScenario(BenchOptions o, LoadGenerator generator, Report report, int upstreamPort) {
        this.o = o;
        this.generator = generator;
        this.report = report;
        this.upstreamPort = upstreamPort;
    }

    void run() throws Exception {
        Path dir = report.dir.resolve("redis").toAbsolutePath();
        Files.createDirectories(dir);
        Path config = dir.resolve("llm-proxy.yaml");
        Files.writeString(config, "upstreams:\n"
                + "  - name: demo\n"
                + "    kind: openai-compatible\n"
                + "    base_url: http://127.0.0.1:" + upstreamPort + "\n"
                + "    models: [\"" + Scenarios.MODEL + "\"]\n"
                + "clients:\n"
                + "  - name: bench\n"
                + "    key_sha256: " + ClientKeyDigest.of(KEY).hex() + "\n"
                + "    limits: {rpm: 10000000, tpm: 1000000000, rpd: 1000000000, concurrency: 100000,"
                + " monthly_tokens: 1000000000000}\n");
        List<AutoCloseable> started = new ArrayList<>();
        try {
            int redisPort = freePort();
            String redisServer = Files.isExecutable(Path.of("/usr/bin/redis-server")) ? "/usr/bin/redis-server"
                    : "redis-server";
            List<String> command = new ArrayList<>();
            if (o.redisCpus != null) {
                command.addAll(List.of("taskset", "-c", o.redisCpus)); // a core of its own, when asked
                report.note("redis-server ran on CPUs " + o.redisCpus + " (--redis-cpus)");
            }
            command.addAll(List.of(redisServer, "--port", Integer.toString(redisPort), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--loglevel", "notice"));
            ChildProcess redis = ChildProcess.start("redis", command, Map.of(), dir.resolve("redis.log"), REDIS_READY);
            started.add(redis);
            redis.awaitLine(30);
            Target local = startProxy(LOCAL, config, Map.of(), dir.resolve("proxy-local.log"), started);
            Target shared = startProxy(SHARED, config, Map.of("REDIS_URL", "redis://127.0.0.1:" + redisPort,
                    "REDIS_KEY_PREFIX", "bench-" + System.nanoTime() + ":"), dir.resolve("proxy-redis.log"), started);

            for (Target t : List.of(local, shared)) {
                Duration warm = o.jitWarmup.isZero() ? Duration.ofSeconds(15) : o.jitWarmup;
                generator.run(t.name() + " JIT warm-up", spec(t), LoadPlan.closed(16, warm, Duration.ZERO)
                        .withThreads(o.clientThreads));
            }
            // in alternating rounds, so that a noisy moment of the machine does not fall on one side only
            Map<String, Round> one = rounds();
            Map<String, Round> open = rounds();
            redisCli(redisPort, "CONFIG", "RESETSTAT"); // Redis's own timing of the concurrency-1 rounds only
            for (int round = 0; round < ROUNDS; round++) {
                for (Target t : List.of(local, shared)) {
                    one.get(t.name()).add(generator.run(t.name() + " unary concurrency 1, round " + (round + 1),
                            spec(t), LoadPlan.closed(1, o.concurrencyOneDuration.dividedBy(ROUNDS), Duration.ZERO)
                                    .withThreads(1).withTimeouts(o.stallTimeout, o.drainTimeout)));
                }
            }
            String serverTimes = redisCli(redisPort, "INFO", "commandstats") + redisCli(redisPort, "INFO",
                    "latencystats");
            Files.writeString(dir.resolve("redis-info-c1.txt"), serverTimes);
            for (int round = 0; round < ROUNDS; round++) {
                for (Target t : List.of(local, shared)) {
                    generator.run(t.name() + " warm-up", spec(t), open(o.warmup));
                    open.get(t.name()).add(generator.run(t.name() + " unary " + o.rate.intValue() + " rps, round "
                            + (round + 1), spec(t), open(o.duration.dividedBy(ROUNDS))));
                }
            }
            section("redis-c1", "Client key's limits in Redis vs in-process: unary, 0 ms upstream, concurrency 1",
                    one);
            section("redis-open", String.format(Locale.ROOT, "Client key's limits in Redis vs in-process: unary, 0 ms"
                    + " upstream, %.0f rps open loop", o.rate), open);
            serverSection(serverTimes);
        } finally {
            for (int i = started.size() - 1; i >= 0; i--) {
                started.get(i).close();
            }
        }
    }

    /** {@code redis-cli -p port args…}'s output; empty when it cannot run (the report then says so). */
    private static String redisCli(int port, String... args) {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(port)));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            return p.waitFor() == 0 ? out : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /**
     * Redis's own time per command during the concurrency-1 rounds ({@code INFO commandstats} and
     * {@code latencystats}): what the scripts cost inside Redis, apart from the trip to it and back.
     */
    private void serverSection(String info) {
        String[] lines = info.split("\\r?\\n");
        Map<String, String> percentiles = new LinkedHashMap<>();
        for (String line : lines) {
            if (line.startsWith("latency_percentiles_usec_")) {
                percentiles.put(line.substring("latency_percentiles_usec_".length(), line.indexOf(':')),
                        line.substring(line.indexOf(':') + 1).replace(",", ", "));
            }
        }
        List<List<String>> rows = new ArrayList<>();
        for (String line : lines) {
            if (line.startsWith("cmdstat_")) {
                String name = line.substring("cmdstat_".length(), line.indexOf(':'));
                rows.add(List.of("`" + name + "`", field(line, "calls"), field(line, "usec_per_call"),
                        percentiles.getOrDefault(name, "")));
            }
        }
        if (rows.isEmpty()) {
            report.note("redis: no INFO commandstats (redis-cli missing?)");
            return;
        }
        report.section("### Inside Redis during the concurrency-1 rounds\n\n"
                + Markdown.table(List.of("Command", "calls", "µs per call", "µs percentiles"), rows)
                + "\nRedis's own execution time per command (`INFO commandstats`, `INFO latencystats`): the part of the"
                + " added latency spent inside Redis; the rest is the round trip and the wake-ups on each side.\n");
    }

    private static String field(String line, String name) {
        int at = line.indexOf(name + "=");
        if (at < 0) {
            return "";
        }
        int end = line.indexOf(',', at);
        return line.substring(at + name.length() + 1, end < 0 ? line.length() : end);
    }

    private LoadPlan open(Duration duration) {
        return LoadPlan.open(o.rate, duration, o.connections).withThreads(o.clientThreads)
                .withPreconnect(Math.min(o.connections, 32)).withTimeouts(o.stallTimeout, o.drainTimeout);
    }

    private static RequestSpec spec(Target t) {
        return RequestSpec.post("127.0.0.1", t.port(), t.chatPath(), Map.of("Authorization", "Bearer " + KEY),
                "{\"model\":\"" + Scenarios.MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":"
                        + "\"Say hello to the bench.\"}],\"max_tokens\":16}");
    }

    private Target startProxy(String name, Path config, Map<String, String> extra, Path log,
                              List<AutoCloseable> started) throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PORT", "0");
        env.put("HOST", "127.0.0.1");
        env.put("CONFIG_FILE", config.toString());
        env.put("RATE_LIMIT_ENABLED", "false");
        env.put("IP_RATE_LIMIT_PER_MINUTE", "0");
        env.put("UPSTREAM_CONCURRENCY_ENABLED", "false");
        env.put("RETRY_ATTEMPTS", "0");
        env.put("ACCESS_LOG", "false");
        env.put("CATALOG_REFRESH_HOURS", "0");
        env.put("UPSTREAM_QUOTA_PACING", "false");
        env.put("ADAPTIVE_RATE_LIMITS", "false");
        env.putAll(o.proxySettings);
        env.putAll(extra);
        List<String> command = new ArrayList<>();
        command.add(o.javaBinary != null ? o.javaBinary
                : ProcessHandle.current().info().command().orElse("java"));
        command.addAll(BenchMain.split(o.proxyJvmArgs));
        command.addAll(List.of("-jar", o.jar.toString(), "serve"));
        ChildProcess proxy = ChildProcess.start(name, command, env, log, PROXY_READY);
        started.add(proxy);
        int port = Integer.parseInt(proxy.awaitLine(60).group(1));
        return Target.proxied(name, port, proxy.pid());
    }

    private static Map<String, Round> rounds() {
        Map<String, Round> m = new LinkedHashMap<>();
        m.put(LOCAL, new Round());
        m.put(SHARED, new Round());
        return m;
    }

    /** One side's rounds merged: latencies, successes, statuses. */
    private static final class Round {
        final Histogram latency = new Histogram(600_000_000L, 3); // microseconds, as LoadResult records them
        long ok;
        final Map<Integer, Long> statuses = new TreeMap<>();

        void add(LoadResult r) {
            latency.add(r.latency);
            ok += r.ok;
            r.statuses.forEach((status, n) -> statuses.merge(status, n, Long::sum));
        }
    }

    private void section(String key, String title, Map<String, Round> results) throws IOException {
        List<List<String>> rows = new ArrayList<>();
        ObjectNode json = report.scenariosJson.putObject(key).put("title", title);
        for (double pc : new double[] {50, 90, 99, 99.9}) {
            double local = LoadResult.ms(results.get(LOCAL).latency, pc);
            double shared = LoadResult.ms(results.get(SHARED).latency, pc);
            String label = "p" + (pc == Math.rint(pc) ? Integer.toString((int) pc) : Double.toString(pc));
            rows.add(List.of(label, Markdown.ms(local), Markdown.ms(shared), Markdown.signedMs(shared - local)));
            ObjectNode p = json.putObject(label);
            Report.put(p, "in_process_ms", local);
            Report.put(p, "redis_ms", shared);
            Report.put(p, "added_ms", shared - local);
        }
        for (Map.Entry<String, Round> e : results.entrySet()) {
            Round r = e.getValue();
            json.put(e.getKey().equals(LOCAL) ? "in_process_ok" : "redis_ok", r.ok);
            report.hgrm(key + "-" + (e.getKey().equals(LOCAL) ? "in-process" : "redis"), r.latency);
            if (r.ok == 0 || r.statuses.keySet().stream().anyMatch(s -> s != 200)) {
                report.note(key + " " + e.getKey() + ": statuses " + r.statuses);
            }
        }
        report.section("### " + title + "\n\n" + Markdown.table(List.of("Percentile", LOCAL + " ms", SHARED + " ms",
                "added by Redis"), rows));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
