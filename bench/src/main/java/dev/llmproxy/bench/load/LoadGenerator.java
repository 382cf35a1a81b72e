package dev.llmproxy.bench.load;

import dev.llmproxy.netty.Transports;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.concurrent.EventExecutor;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The bench's load generator: runs one {@link LoadPlan} of one {@link RequestSpec} against one server and returns
 * what it measured. Open mode keeps a constant arrival rate whatever the server does and measures each request from
 * its intended send time, so a server that stalls is charged for every request that should have been sent meanwhile
 * (HdrHistogram's "coordinated omission" correction, by construction rather than by back-filling).
 *
 * <p>Threading: {@link #run} blocks the calling thread (not an event loop) until the run ends; one run at a time.
 */
public final class LoadGenerator implements AutoCloseable {
    private static final String THREAD_PREFIX = "bench-load-client";
    private static final long CLOSE_WAIT_SECONDS = 15;

    private final EventLoopGroup group;
    private final Transports transports;
    private final int threads;
    private final PrintStream progressOut;

    /** @param progressOut where the once-a-second progress line goes; null for none */
    public LoadGenerator(int threads, PrintStream progressOut) {
        this.threads = threads;
        this.transports = Transports.best();
        this.group = transports.newGroup(threads, THREAD_PREFIX);
        this.progressOut = progressOut;
    }

    public LoadResult run(String label, RequestSpec spec, LoadPlan plan) throws InterruptedException {
        int shares = Math.min(plan.threads(), threads);
        Bootstrap bootstrap = new Bootstrap()
                .channel(transports.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000);
        HttpHeaders headers = headers(spec);
        LoadProgress progress = new LoadProgress();
        List<LoadWorker> workers = new ArrayList<>();
        Iterator<EventExecutor> loops = group.iterator();
        for (int i = 0; i < shares; i++) {
            EventLoop loop = (EventLoop) loops.next();
            workers.add(new LoadWorker(loop, bootstrap.clone().group(loop), spec, headers, plan, progress, i,
                    shares));
        }
        try {
            CompletableFuture.allOf(workers.stream().map(w -> w.preconnect(plan.preconnect()))
                    .toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
            workers.forEach(w -> w.start(start));
            CompletableFuture<Void> all = CompletableFuture.allOf(workers.stream().map(w -> w.done)
                    .toArray(CompletableFuture[]::new));
            long deadline = start + plan.duration().toNanos() + plan.drainTimeout().toNanos()
                    + TimeUnit.SECONDS.toNanos(30);
            long lastIssued = 0;
            long lastPrint = System.nanoTime();
            while (!all.isDone()) {
                try {
                    all.get(1, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    long now = System.nanoTime();
                    if (progressOut != null) {
                        long issued = progress.issued.sum();
                        progressOut.printf("  [%s] %5.1fs issued %d (%.0f/s) ok %d failed %d in flight %d"
                                        + " waiting %d%n", label, (now - start) / 1e9, issued,
                                (issued - lastIssued) * 1e9 / (now - lastPrint), progress.completed.sum(),
                                progress.failed.sum(), progress.inFlight.sum(), progress.waiting.sum());
                        lastIssued = issued;
                        lastPrint = now;
                    }
                    if (now > deadline) {
                        throw new IllegalStateException(label + ": the run did not end");
                    }
                }
            }
            LoadResult total = new LoadResult();
            for (LoadWorker w : workers) {
                total.add(w.done.get());
            }
            return total;
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(label + ": " + e, e);
        }
    }

    private static HttpHeaders headers(RequestSpec spec) {
        HttpHeaders h = new DefaultHttpHeaders();
        h.set(HttpHeaderNames.HOST, spec.host() + ":" + spec.port());
        h.set(HttpHeaderNames.USER_AGENT, "llm-proxy-bench");
        h.set(HttpHeaderNames.ACCEPT, spec.streaming() ? "text/event-stream" : "*/*");
        if (spec.body().length > 0) {
            h.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        }
        h.set(HttpHeaderNames.CONTENT_LENGTH, spec.body().length);
        spec.headers().forEach(h::set);
        return h;
    }

    /**
     * Stops the event loops, waiting at most {@link #CLOSE_WAIT_SECONDS}: a loop that does not end by then is reported
     * with its stack on standard error and left behind (its threads are daemons), so a stuck loop never hangs the
     * bench's report.
     */
    @Override
    public void close() {
        if (group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(CLOSE_WAIT_SECONDS,
                TimeUnit.SECONDS)) {
            return;
        }
        System.err.println("bench: a load generator's event loop did not stop within " + CLOSE_WAIT_SECONDS
                + " s; leaving it behind. Its threads:");
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            if (thread.getName().startsWith(THREAD_PREFIX)) {
                System.err.println("  " + thread.getName() + " (" + thread.getState() + ")");
                for (StackTraceElement frame : stack) {
                    System.err.println("      at " + frame);
                }
            }
        });
    }
}
