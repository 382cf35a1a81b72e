package dev.llmproxy;

import dev.llmproxy.config.DemoConfig;
import dev.llmproxy.demo.DemoUpstream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code demo-upstream}: the simulated upstream alone, in its own JVM — what the bench measures the proxy and its
 * peers against, so the proxy under test competes only with what it would in production. It answers the demo's
 * endpoints (chat JSON and SSE, embeddings and {@code /v1/models} for its own few model ids, TTS audio); each
 * request can ask for its own latency ({@code X-Demo-Delay-Ms}) and stream pacing ({@code X-Demo-Token-Delay-Ms}).
 * Prints its base URL on one line of standard output once bound, then serves until SIGTERM or Ctrl-C.
 */
@Command(name = DemoUpstreamCommand.NAME, mixinStandardHelpOptions = true, versionProvider = Main.ManifestVersion.class,
        description = "Run the simulated OpenAI-compatible upstream alone (for benchmarks and manual tests).")
final class DemoUpstreamCommand implements Callable<Integer> {
    static final String NAME = "demo-upstream";

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "0", description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--token-delay-ms", defaultValue = "0",
            description = "Pause between two streamed tokens unless a request asks otherwise (default: ${DEFAULT-VALUE}).")
    long tokenDelayMs;

    @Option(names = "--event-loops", defaultValue = "1",
            description = "Event loops serving connections, besides the one that accepts them; more let the"
                    + " simulator outlast a relay under test on a machine with cores to spare (default:"
                    + " ${DEFAULT-VALUE}).")
    int eventLoops;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        if (port < 0 || port > 65_535 || tokenDelayMs < 0 || tokenDelayMs > 60_000 || eventLoops < 1
                || eventLoops > DemoUpstream.MAX_EVENT_LOOPS) {
            err.println("--port must be 0..65535, --token-delay-ms 0..60000 and --event-loops 1.."
                    + DemoUpstream.MAX_EVENT_LOOPS);
            return Main.EXIT_CONFIG;
        }
        DemoUpstream upstream;
        try {
            upstream = DemoUpstream.start(new DemoConfig(Duration.ofMillis(tokenDelayMs)), host, port, eventLoops);
        } catch (IllegalStateException e) {
            err.println(e.getMessage());
            return Main.EXIT_START_FAILED;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            upstream.close();
            stopped.countDown();
        }, "demo-upstream-shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.println("demo upstream listening on " + upstream.baseUrl());
        out.flush();
        stopped.await();
        return CommandLine.ExitCode.OK;
    }
}
