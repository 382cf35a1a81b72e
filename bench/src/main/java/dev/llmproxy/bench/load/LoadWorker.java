package dev.llmproxy.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One client event loop's share of a load run: its slice of the arrival schedule, its own bounded pool of
 * keep-alive connections, its own histograms. Requests whose time has come queue for a free connection in arrival
 * order; a new connection is opened while the pool is below its bound and requests wait.
 *
 * <p>Threading: everything after construction runs on {@link #loop}; {@link #result} is read after {@link #done}
 * completes.
 */
final class LoadWorker {
    private static final long SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final RequestSpec spec;
    private final HttpHeaders headers;
    private final LoadPlan plan;
    private final LoadProgress progress;
    private final LoadResult result = new LoadResult();
    private final int maxConnections;
    /** Open mode: this worker's arrivals are global indexes {@code share, share + shares, …}. */
    private final int share;
    private final int shares;
    private final long arrivals;
    private final double nanosPerArrival;
    private final long[] pendingRing;
    private int pendingHead;
    private int pendingSize;
    private final ArrayDeque<ClientConnection> idle = new ArrayDeque<>();
    private final List<ClientConnection> connections = new ArrayList<>();
    final CompletableFuture<LoadResult> done = new CompletableFuture<>();

    private long t0;
    private long endOfSchedule;
    private long next;
    private int open;
    private int connecting;
    private int busy;
    private long lastCompletion;
    private boolean finished;
    private ScheduledFuture<?> sweeper;
    private ScheduledFuture<?> drain;

    LoadWorker(EventLoop loop, Bootstrap bootstrap, RequestSpec spec, HttpHeaders headers, LoadPlan plan,
               LoadProgress progress, int share, int shares) {
        this.loop = loop;
        this.bootstrap = bootstrap;
        this.spec = spec;
        this.headers = headers;
        this.plan = plan;
        this.progress = progress;
        this.share = share;
        this.shares = shares;
        this.maxConnections = split(plan.connections(), share, shares);
        if (plan.mode() == LoadPlan.Mode.OPEN) {
            long total = Math.round(plan.rate() * plan.duration().toNanos() / 1e9);
            this.arrivals = total / shares + (share < total % shares ? 1 : 0);
            this.nanosPerArrival = 1e9 / plan.rate();
        } else {
            this.arrivals = maxConnections;
            long ramp = plan.rampUp().toNanos();
            this.nanosPerArrival = plan.connections() == 0 ? 0 : (double) ramp / plan.connections();
        }
        this.pendingRing = new long[(int) Math.min(Math.max(arrivals, 16), 1 << 22) + 1];
    }

    private static int split(int total, int share, int shares) {
        return Math.max(1, total / shares + (share < total % shares ? 1 : 0));
    }

    /** Opens {@code n} connections before the clock starts; completes when all are open (or failed). */
    CompletableFuture<Void> preconnect(int n) {
        CompletableFuture<Void> ready = new CompletableFuture<>();
        loop.execute(() -> {
            int want = Math.min(split(n, share, shares), maxConnections);
            if (n == 0 || want == 0) {
                ready.complete(null);
                return;
            }
            int[] left = {want};
            for (int i = 0; i < want; i++) {
                connect().addListener(f -> {
                    if (--left[0] == 0) {
                        ready.complete(null);
                    }
                });
            }
        });
        return ready;
    }

    /** Starts the schedule at {@code start} (a {@link System#nanoTime()} value shared by all workers). */
    void start(long start) {
        loop.execute(() -> {
            t0 = start;
            endOfSchedule = start + plan.duration().toNanos();
            lastCompletion = start;
            long sweepEvery = Math.min(SWEEP_NANOS, plan.stallTimeout().toNanos() / 4 + 1);
            sweeper = loop.scheduleAtFixedRate(this::sweep, sweepEvery, sweepEvery, TimeUnit.NANOSECONDS);
            loop.schedule(this::maybeFinish, endOfSchedule - System.nanoTime(), TimeUnit.NANOSECONDS);
            drain = loop.schedule(this::drainTimedOut,
                    endOfSchedule + plan.drainTimeout().toNanos() - System.nanoTime(), TimeUnit.NANOSECONDS);
            tick();
        });
    }

    private long intended(long k) {
        long global = plan.mode() == LoadPlan.Mode.OPEN ? k * shares + share : k;
        return t0 + (long) (global * nanosPerArrival);
    }

    private void tick() {
        if (finished) {
            return;
        }
        long now = System.nanoTime();
        if (plan.mode() == LoadPlan.Mode.CLOSED && now >= endOfSchedule) {
            next = arrivals; // a ramp-up longer than the run: the rest never start
        }
        while (next < arrivals && intended(next) <= now) {
            enqueue(intended(next++));
        }
        dispatch();
        if (next < arrivals) {
            loop.schedule(this::tick, intended(next) - now, TimeUnit.NANOSECONDS);
        } else {
            maybeFinish();
        }
    }

    private void enqueue(long intendedNanos) {
        if (pendingSize == pendingRing.length) {
            throw new IllegalStateException("pending queue full: the target is far too slow for this plan");
        }
        pendingRing[(pendingHead + pendingSize) % pendingRing.length] = intendedNanos;
        pendingSize++;
        result.issued++;
        progress.issued.increment();
        progress.waiting.increment();
    }

    private long dequeue() {
        long value = pendingRing[pendingHead];
        pendingHead = (pendingHead + 1) % pendingRing.length;
        pendingSize--;
        progress.waiting.decrement();
        return value;
    }

    private void dispatch() {
        while (pendingSize > 0) {
            ClientConnection connection = idle.poll();
            if (connection == null) {
                while (open + connecting < maxConnections && connecting < pendingSize) {
                    connect();
                }
                return;
            }
            if (!connection.channel.isActive()) {
                continue;
            }
            send(connection, dequeue());
        }
    }

    private void send(ClientConnection connection, long intendedNanos) {
        long now = System.nanoTime();
        connection.begin(intendedNanos, now);
        busy++;
        result.sent++;
        progress.inFlight.increment();
        DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1,
                HttpMethod.valueOf(spec.method()), spec.path(), Unpooled.wrappedBuffer(spec.body()));
        request.headers().set(headers);
        connection.channel.writeAndFlush(request).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    private ChannelFuture connect() {
        connecting++;
        ClientConnection connection = new ClientConnection(this, spec.streaming());
        ChannelFuture future = bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new HttpClientCodec(), connection);
            }
        }).connect(spec.host(), spec.port());
        connection.channel = future.channel();
        future.addListener((ChannelFutureListener) f -> {
            connecting--;
            if (f.isSuccess() && !finished) {
                open++;
                result.connectionsOpened++;
                connections.add(connection);
                idle.add(connection);
            } else {
                f.channel().close();
                if (!finished && pendingSize > 0) {
                    dequeue(); // a request that could not get a connection
                    fail();
                    result.resets++;
                }
            }
            dispatch();
            maybeFinish();
        });
        return future;
    }

    /** A request finished with its last byte at {@code now}. */
    void completed(ClientConnection c, long now) {
        busy--;
        progress.inFlight.decrement();
        lastCompletion = now;
        result.bodyBytes += c.bodyBytes;
        boolean framesOk = true;
        if (spec.streaming()) {
            result.contentEvents += c.contentEvents;
            if (spec.expectedContent() > 0 && c.contentEvents != spec.expectedContent()) {
                framesOk = false;
                result.badStreams++;
                if (c.contentEvents < spec.expectedContent()) {
                    result.lostFrames += spec.expectedContent() - c.contentEvents;
                } else {
                    result.extraFrames += c.contentEvents - spec.expectedContent();
                }
            }
        }
        if (c.status == 200 && framesOk) {
            result.ok++;
            progress.completed.increment();
            LoadResult.record(result.latency, now - c.intendedNanos);
            LoadResult.record(result.serviceTime, now - c.sentNanos);
            if (c.contentEvents > 0) {
                LoadResult.record(result.ttft, c.firstContentNanos - c.intendedNanos);
            }
        } else {
            if (c.status != 200) {
                result.statuses.merge(c.status, 1L, Long::sum);
            }
            fail();
        }
        if (finished) {
            return;
        }
        if (c.keepAlive && c.channel.isActive()) {
            idle.add(c);
        } else {
            c.channel.close();
        }
        if (plan.mode() == LoadPlan.Mode.CLOSED && now < endOfSchedule) {
            enqueue(now);
        }
        dispatch();
        maybeFinish();
    }

    void gap(long nanos) {
        LoadResult.record(result.gaps, nanos);
    }

    /** The connection closed; a request in flight on it failed. */
    void closed(ClientConnection c) {
        if (connections.remove(c)) {
            open--;
        }
        idle.remove(c);
        if (c.busy) {
            c.busy = false;
            busy--;
            progress.inFlight.decrement();
            result.resets++;
            accountShortfall(c);
            fail();
            if (!finished && plan.mode() == LoadPlan.Mode.CLOSED && System.nanoTime() < endOfSchedule) {
                enqueue(System.nanoTime());
            }
        }
        if (!finished) {
            dispatch();
            maybeFinish();
        }
    }

    private void accountShortfall(ClientConnection c) {
        if (spec.streaming()) {
            result.contentEvents += c.contentEvents;
            if (spec.expectedContent() > c.contentEvents) {
                result.lostFrames += spec.expectedContent() - c.contentEvents;
            }
        }
    }

    private void fail() {
        progress.failed.increment();
    }

    /** Gives up requests with no byte for the stall timeout. */
    private void sweep() {
        long now = System.nanoTime();
        long limit = plan.stallTimeout().toNanos();
        for (ClientConnection c : new ArrayList<>(connections)) {
            if (c.busy && now - c.lastActivityNanos > limit) {
                c.busy = false;
                busy--;
                progress.inFlight.decrement();
                result.stalled++;
                if (c.status == 0) {
                    result.stalledBeforeHead++;
                }
                accountShortfall(c);
                fail();
                c.channel.close();
            }
        }
    }

    private void maybeFinish() {
        if (finished) {
            return;
        }
        boolean scheduleOver = plan.mode() == LoadPlan.Mode.OPEN ? next >= arrivals
                : System.nanoTime() >= endOfSchedule;
        if (scheduleOver && pendingSize == 0 && busy == 0 && connecting == 0) {
            finish();
        }
    }

    private void drainTimedOut() {
        if (finished) {
            return;
        }
        result.unfinished += pendingSize + busy + (arrivals - next);
        progress.failed.add(pendingSize + busy);
        progress.inFlight.add(-busy);
        while (pendingSize > 0) {
            dequeue();
        }
        busy = 0;
        finish();
    }

    private void finish() {
        finished = true;
        if (sweeper != null) {
            sweeper.cancel(false);
        }
        if (drain != null) {
            drain.cancel(false);
        }
        result.scheduleNanos = plan.duration().toNanos();
        result.elapsedNanos = Math.max(lastCompletion, t0 + 1) - t0;
        for (ClientConnection c : new ArrayList<>(connections)) {
            c.busy = false;
            c.channel.close();
        }
        connections.clear();
        idle.clear();
        done.complete(result);
    }
}
