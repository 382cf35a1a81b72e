package dev.llmproxy;

import dev.llmproxy.admission.Admission;
import dev.llmproxy.admission.NanoClock;
import dev.llmproxy.client.ClientAuth;
import dev.llmproxy.client.ClientChannelInitializer;
import dev.llmproxy.client.ClientConnections;
import dev.llmproxy.client.AccessLogWriter;
import dev.llmproxy.client.ClientServices;
import dev.llmproxy.cluster.RedisTimings;
import dev.llmproxy.config.ClientSpec;
import io.netty.channel.EventLoop;
import dev.llmproxy.cluster.SharedLimits;
import dev.llmproxy.client.ClientQuotas;
import dev.llmproxy.client.ClientConnectionLimiter;
import dev.llmproxy.client.RequestBodyDecoder;
import dev.llmproxy.client.Route;
import dev.llmproxy.client.Router;
import dev.llmproxy.config.ConfigNote;
import dev.llmproxy.config.UpstreamAuth;
import dev.llmproxy.config.UpstreamKind;
import dev.llmproxy.config.UpstreamOptions;
import dev.llmproxy.config.UpstreamSpec;
import dev.llmproxy.config.ProxyConfig;
import dev.llmproxy.config.UpstreamConfig;
import dev.llmproxy.demo.DemoUpstream;
import dev.llmproxy.netty.Transports;
import dev.llmproxy.openai.CredentialHeader;
import dev.llmproxy.openai.KnownModels;
import dev.llmproxy.openai.UpstreamCatalog;
import dev.llmproxy.openai.CatalogRefresher;
import dev.llmproxy.openai.ContextCheck;
import dev.llmproxy.openai.GitHubModelsPlan;
import dev.llmproxy.openai.LiveCatalog;
import dev.llmproxy.openai.ModelAdvisor;
import dev.llmproxy.openai.ModelRecommender;
import dev.llmproxy.openai.PromptCheck;
import dev.llmproxy.openai.TokenCounter;
import dev.llmproxy.routes.HealthRoutes;
import dev.llmproxy.routes.LocalRoute;
import dev.llmproxy.metrics.LiveGauges;
import dev.llmproxy.metrics.ProxyMetrics;
import dev.llmproxy.metrics.RequestSample;
import dev.llmproxy.routes.MetricsRoute;
import dev.llmproxy.routes.ClusterTotals;
import dev.llmproxy.routes.SharedLimitsCollector;
import dev.llmproxy.routes.AccessLogCollector;
import dev.llmproxy.routes.UpstreamsAndClientsCollector;
import dev.llmproxy.routes.StaticRoutes;
import dev.llmproxy.routes.StatsRoutes;
import dev.llmproxy.stats.History;
import dev.llmproxy.stats.StatsReport;
import dev.llmproxy.stats.UsageStats;
import dev.llmproxy.routes.ModelRoutes;
import dev.llmproxy.routes.ModelToolRoutes;
import dev.llmproxy.routes.Responses;
import dev.llmproxy.upstream.ModelIndex;
import dev.llmproxy.upstream.ModelRouter;
import dev.llmproxy.upstream.PerEventLoopUpstreamPool;
import dev.llmproxy.upstream.Upstream;
import dev.llmproxy.upstream.UpstreamBreaker;
import dev.llmproxy.upstream.UpstreamChannelInitializer;
import dev.llmproxy.upstream.UpstreamPool;
import dev.llmproxy.upstream.UpstreamTarget;
import dev.llmproxy.upstream.UpstreamTls;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.ssl.SslContext;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * Bootstrap and graceful shutdown: the only place that wires the proxy's parts together. Starts the embedded demo
 * upstream when the configuration asks for it, binds the client listener, and on {@link #stop} stops accepting,
 * lets in-flight exchanges finish within the grace period, then closes everything.
 */
public final class ProxyServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    /** Above this much queued output a client connection stops pulling from its upstream; below the low mark it resumes. */
    /** How long start-up waits for the upstreams' first model lists. */
    private static final Duration FIRST_LIST_WAIT = Duration.ofSeconds(3);
    /** How long start-up waits for Redis ({@code REDIS_URL}) before serving with local limits meanwhile. */
    private static final Duration REDIS_FIRST_CONNECT = Duration.ofSeconds(2);
    /** How often a replica writes its totals to Redis and reads the others' for the monitor. */
    private static final Duration CLUSTER_TOTALS_EVERY = Duration.ofSeconds(2);

    private static final WriteBufferWaterMark CLIENT_WATER_MARK = new WriteBufferWaterMark(32 * 1024, 128 * 1024);

    private final ProxyConfig config;
    private final EventLoopGroup acceptGroup;
    private final EventLoopGroup ioGroup;
    private final DnsAddressResolverGroup resolver;
    private final ModelRouter upstreams;
    private final PerEventLoopUpstreamPool ttsPool;
    private final ClientConnections connections;
    private final Admission admission;
    private final ProxyMetrics metrics;
    private final ExecutorService telemetry;
    private final ExecutorService work;
    private final DemoUpstream demo;
    private final SharedLimits shared;
    private final Channel serverChannel;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final CountDownLatch terminated = new CountDownLatch(1);

    private ProxyServer(ProxyConfig config, EventLoopGroup acceptGroup, EventLoopGroup ioGroup,
                        DnsAddressResolverGroup resolver, ModelRouter upstreams,
                        PerEventLoopUpstreamPool ttsPool,
                        ClientConnections connections, Admission admission, ProxyMetrics metrics,
                        ExecutorService telemetry, ExecutorService work, DemoUpstream demo, SharedLimits shared,
                        Channel serverChannel) {
        this.config = config;
        this.acceptGroup = acceptGroup;
        this.ioGroup = ioGroup;
        this.resolver = resolver;
        this.upstreams = upstreams;
        this.ttsPool = ttsPool;
        this.connections = connections;
        this.admission = admission;
        this.metrics = metrics;
        this.telemetry = telemetry;
        this.work = work;
        this.demo = demo;
        this.shared = shared;
        this.serverChannel = serverChannel;
    }

    /** Binds and starts serving; returns once the listener is bound. Starts the demo upstream when configured so. */
    public static ProxyServer start(ProxyConfig requested) throws InterruptedException {
        DemoUpstream demo = null;
        ProxyConfig config = requested;
        if (requested.upstream().demo()) {
            demo = DemoUpstream.start(requested.demo());
            UpstreamConfig upstream = requested.upstream().withBaseUrl(demo.baseUrl().resolve("/v1"));
            config = requested.withUpstream(upstream);
            if (config.tts().target().isEmpty()) {
                config = config.withTts(config.tts().withTarget(demo.baseUrl())); // the demo speaks too
            }
        }
        for (ConfigNote note : config.upstreams().notes()) {
            if (note.level() == ConfigNote.Level.WARNING) {
                log.warn("{}", note.text());
            } else {
                log.info("{}", note.text());
            }
        }
        Transports transports = Transports.best();
        EventLoopGroup acceptGroup = transports.newGroup(1, "llm-proxy-accept");
        EventLoopGroup ioGroup = transports.newGroup(config.server().ioThreads(), "llm-proxy-io");
        DnsAddressResolverGroup resolver = null;
        List<Upstream> built = new ArrayList<>();
        ModelRouter upstreams = null;
        PerEventLoopUpstreamPool ttsPool = null;
        ScheduledExecutorService telemetry = null;
        ExecutorService work = null;
        SharedLimits shared = null;
        try {
            resolver = new DnsAddressResolverGroup(new DnsNameResolverBuilder()
                    .datagramChannelType(transports.datagramChannel())
                    .socketChannelType(transports.socketChannel()));
            HttpClient catalogHttp = CatalogRefresher.httpClient(config.upstream().connectTimeout(),
                    config.upstream().trustedCaFile());
            KnownModels known = KnownModels.bundled();
            // the one index of model handles: the router interns, every per-model table reads at the handle
            ModelIndex models = new ModelIndex();
            // before the upstreams: their gates share each upstream's limits through it
            if (config.redis().enabled()) {
                shared = SharedLimits.start(config.redis(), ioGroup);
                if (!shared.awaitConnected(REDIS_FIRST_CONNECT)) {
                    log.warn("Redis at {} did not answer within {} ms; limits stay local ({}) until it does",
                            config.redis(), REDIS_FIRST_CONNECT.toMillis(), config.redis().failureMode().wireName());
                }
            }
            for (UpstreamSpec spec : config.upstreams().upstreams()) {
                UpstreamOptions options = config.upstreamOptions(spec);
                URI base = spec.baseUrl().orElseThrow();
                UpstreamTarget target = UpstreamTarget.of(base);
                PerEventLoopUpstreamPool pool = newPool(target, options, transports, resolver);
                built.add(new Upstream(built.size(), spec, options, pool,
                        catalogOf(spec, base, config.models().catalogUrl(), catalogHttp, known),
                        new UpstreamBreaker(config.admission().breakerThreshold(), config.admission().breakerFirstOpen(),
                                config.admission().breakerOpen()),
                        shared, models.capacity()));
                if (spec.kind() == UpstreamKind.GITHUB_MODELS) {
                    log.warn("upstream {}: GitHub Models was retired on 2026-07-30 and answers 410 Gone; its requests "
                            + "will fail with upstream_retired. Configure another upstream (see README, Upstreams)",
                            spec.name());
                }
            }
            upstreams = new ModelRouter(built, config.upstreams().routes(), config.upstreams().defaultUpstream(),
                    models);
            // the first lists before admission: it keeps per-model state (quota pauses, daily counts, breakers) for
            // the ids listed when it is built and counts any other id as "other"; refreshes land later
            for (Upstream u : built) {
                u.catalog().start(config.models().refreshEvery());
            }
            awaitFirstLists(built, FIRST_LIST_WAIT);
            upstreams.sync();
            ttsPool = newPool(UpstreamTarget.of(config.tts().target().orElseThrow()),
                    config.upstreamOptions(config.upstreams().first()), transports, resolver);


            ClientConnections connections = new ClientConnections();
            ClientConnectionLimiter limiter = new ClientConnectionLimiter(config.server().maxConnections());
            LiveCatalog catalog = upstreams.combined();
            Admission admission = new Admission(config.admission(), catalog.current(), models, NanoClock.system(),
                    Clock.systemUTC());
            ioGroup.next().scheduleAtFixedRate(admission::evictIdle, 30, 30, TimeUnit.SECONDS);
            if (shared != null) {
                admission.shareWith(shared);
            }
            ProxyMetrics metrics = new ProxyMetrics(liveGauges(admission, connections));
            UsageStats stats = new UsageStats(NanoClock.system());
            telemetry = Executors.newSingleThreadScheduledExecutor(
                    new DefaultThreadFactory("llm-proxy-telemetry", true));
            ModelRouter router = upstreams;
            // latencies land in the minute they are aggregated: keep the windows sharp, off the event loops; a
            // refreshed model list reaches the request path here too
            telemetry.scheduleAtFixedRate(() -> {
                stats.aggregate();
                metrics.aggregate();
                router.sync();
            }, 1, 1, TimeUnit.SECONDS);
            // token counting of large prompts and check-context bodies: CPU work that must not hold an event loop
            work = WorkPool.create(Math.max(2, config.server().ioThreads()));
            ClusterTotals cluster = null;
            if (shared != null) {
                cluster = new ClusterTotals(shared, upstreams,
                        config.upstreams().clients().stream().map(ClientSpec::name).toList(), connections::inFlight,
                        RedisTimings.withLeaseTtl(config.redis().leaseTtl()).replicaTtl().toMillis());
                EventLoop loop = ioGroup.next();
                ClusterTotals refreshed = cluster;
                loop.scheduleAtFixedRate(() -> refreshed.refresh(loop), 0, CLUSTER_TOTALS_EVERY.toMillis(),
                        TimeUnit.MILLISECONDS);
            }
            ClientServices services = clientServices(config, upstreams, new TokenCounter(), admission, ttsPool,
                    connections, Clock.systemUTC(), new Telemetry(metrics, stats, telemetry), work, shared, cluster);
            metrics.registry().register(new UpstreamsAndClientsCollector(upstreams, services.clientQuotas(), limiter));
            metrics.registry().register(new AccessLogCollector(config.accessLog() ? AccessLogWriter.stdout() : null));
            if (shared != null) {
                metrics.registry().register(new SharedLimitsCollector(shared));
            }

            ServerBootstrap bootstrap = new ServerBootstrap()
                    .group(acceptGroup, ioGroup)
                    .channel(transports.serverChannel())
                    .handler(limiter)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, CLIENT_WATER_MARK)
                    .childHandler(new ClientChannelInitializer(services));
            Channel serverChannel = bootstrap.bind(config.server().host(), config.server().port()).sync().channel();

            ProxyServer server = new ProxyServer(config, acceptGroup, ioGroup, resolver, upstreams, ttsPool,
                    connections, admission, metrics, telemetry, work, demo, shared, serverChannel);
            InetSocketAddress bound = server.address();
            log.info("llm-proxy listening on http://{}:{} ({} transport, {} I/O threads); {}; TLS {}",
                    config.server().host(), bound.getPort(), transports.name(), config.server().ioThreads(),
                    describe(built, config.upstreams().demo()), UpstreamTls.provider());
            return server;
        } catch (SSLException e) {
            if (shared != null) {
                shared.close();
            }
            releaseAfterFailedStart(built, ttsPool, resolver, ioGroup, acceptGroup, demo, telemetry, work);
            throw new IllegalStateException("cannot set up TLS for the upstream: " + e.getMessage(), e);
        } catch (RuntimeException | InterruptedException e) {
            if (shared != null) {
                shared.close();
            }
            releaseAfterFailedStart(built, ttsPool, resolver, ioGroup, acceptGroup, demo, telemetry, work);
            throw e;
        }
    }

    /**
     * Waits, at most {@code bound} in all, for each upstream's first model-list fetch to end (well or not), so the
     * server does not answer its first requests with empty lists; a slow upstream's list arrives later by itself.
     */
    private static void awaitFirstLists(List<Upstream> upstreams, Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        for (Upstream u : upstreams) {
            CatalogRefresher refresher = u.catalog().refresher();
            while (refresher != null && refresher.lastResult() == null && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        }
    }

    private static String describe(List<Upstream> upstreams, boolean demo) {
        List<String> names = new ArrayList<>(upstreams.size());
        for (Upstream u : upstreams) {
            names.add(u.toString());
        }
        return (upstreams.size() == 1 ? "upstream " : "upstreams ") + String.join(", ", names)
                + (demo ? " (the embedded demo upstream: nothing else is configured)" : "");
    }

    /**
     * Where an upstream's models come from: the config's fixed list, GitHub's catalog for the legacy kind, else the
     * upstream's own {@code GET <base>/models}, asked with the upstream's own credential header.
     */
    private static UpstreamCatalog catalogOf(UpstreamSpec spec, URI base, Optional<URI> gitHubCatalogUrl,
                                             HttpClient http, KnownModels known) {
        Clock clock = Clock.systemUTC();
        if (spec.models().isPresent()) {
            return UpstreamCatalog.fixed(spec.name(), spec.models().get(), known, clock);
        }
        String key = spec.sentApiKey().orElse(null);
        if (spec.kind() == UpstreamKind.GITHUB_MODELS) {
            URI catalogUrl = spec.catalogUrl().or(() -> gitHubCatalogUrl).or(spec.kind()::defaultCatalogUrl)
                    .orElse(CatalogRefresher.DEFAULT_URL);
            return UpstreamCatalog.gitHubModels(spec.name(), base, catalogUrl, key, http, clock);
        }
        CredentialHeader credential = key == null ? null
                : spec.auth() == UpstreamAuth.API_KEY ? CredentialHeader.apiKey(key) : CredentialHeader.bearer(key);
        URI list = spec.catalogUrl().orElse(URI.create(base.toString().replaceAll("/+$", "") + "/models"));
        return UpstreamCatalog.listing(spec.name(), base, list, credential, http, known, clock);
    }

    /** A keep-alive pool to one upstream target, TLS when the target says https. */
    private static PerEventLoopUpstreamPool newPool(UpstreamTarget target, UpstreamOptions up, Transports transports,
                                                    DnsAddressResolverGroup resolver) throws SSLException {
        SslContext tls = target.tls() ? UpstreamTls.clientContext(up.trustedCaFile()) : null;
        return new PerEventLoopUpstreamPool(target, transports.socketChannel(),
                new UpstreamChannelInitializer(target, tls, up.connectTimeout(), up.poolIdleTimeout()),
                resolver, up.connectTimeout(), up.maxConnectionsPerLoop(), up.maxPendingAcquires());
    }

    private static void releaseAfterFailedStart(List<Upstream> upstreams, PerEventLoopUpstreamPool ttsPool,
                                                DnsAddressResolverGroup resolver,
                                                EventLoopGroup ioGroup, EventLoopGroup acceptGroup,
                                                DemoUpstream demo, ExecutorService telemetry,
                                                ExecutorService work) {
        if (telemetry != null) {
            telemetry.shutdownNow();
        }
        if (work != null) {
            work.shutdownNow();
        }
        for (Upstream u : upstreams) {
            u.catalog().close();
            u.pool().close();
        }
        if (ttsPool != null) {
            ttsPool.close();
        }
        if (resolver != null) {
            resolver.close();
        }
        ioGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        acceptGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        if (demo != null) {
            demo.close();
        }
    }

    /**
     * What every client connection shares: the router, client auth, admission, the pool and the local routes.
     * Public so handler tests can build the same services around a scripted pool.
     */
    public static ClientServices clientServices(ProxyConfig config, ModelRouter upstreams, TokenCounter tokens,
                                                Admission admission, UpstreamPool ttsPool,
                                                ClientConnections connections, Clock clock, Telemetry telemetry,
                                                Executor work, SharedLimits shared) {
        return clientServices(config, upstreams, tokens, admission, ttsPool, connections, clock, telemetry, work,
                shared, null);
    }

    /** {@link #clientServices} with the replicas' totals for {@code /v1/stats} ({@code REDIS_URL}; else null). */
    public static ClientServices clientServices(ProxyConfig config, ModelRouter upstreams, TokenCounter tokens,
                                                Admission admission, UpstreamPool ttsPool,
                                                ClientConnections connections, Clock clock, Telemetry telemetry,
                                                Executor work, SharedLimits shared, ClusterTotals cluster) {
        LiveCatalog catalog = upstreams.combined();
        HealthRoutes health = new HealthRoutes(clock, upstreams, config.upstreams().demo(),
                connections::draining, connections::inFlight, shared);
        GitHubModelsPlan plan = config.models().githubModels() ? config.admission().plan() : null;
        ModelRoutes models = new ModelRoutes(upstreams, plan, admission, clock);
        Map<Route, LocalRoute> local = new EnumMap<>(Route.class);
        local.put(Route.HEALTH, health::health);
        local.put(Route.READY, health::ready);
        local.put(Route.MODELS, models::list);
        local.put(Route.API_MODELS, models::list);
        local.put(Route.MODEL, models::retrieve);
        local.put(Route.RATE_LIMITS_OBSERVED, request -> Responses.json(request.version(),
                HttpResponseStatus.OK, admission.observedReport()));
        local.put(Route.RATE_LIMITS_DAILY, request -> Responses.json(request.version(),
                HttpResponseStatus.OK, admission.dailyReport()));
        local.put(Route.METRICS, new MetricsRoute(telemetry.metrics(), telemetry.executor()));
        ClientQuotas quotas = new ClientQuotas(config.upstreams().clients(), System.nanoTime(), shared);
        StatsRoutes statsRoutes = new StatsRoutes(new StatsReport(telemetry.stats(), clock), new History(),
                quotas, upstreams, work, cluster);
        local.put(Route.STATS, statsRoutes.stats());
        local.put(Route.HISTORY, statsRoutes::history);
        ModelAdvisor advisor = new ModelAdvisor(catalog);
        ModelToolRoutes tools = new ModelToolRoutes(new ContextCheck(catalog, tokens, advisor),
                new ModelRecommender(catalog), plan, authority(config.server().host(), config.server().port()), work);
        local.put(Route.CHECK_CONTEXT, tools.checkContext());
        local.put(Route.RECOMMEND_MODEL, tools::recommendModel);
        local.put(Route.GENERATE_CODE, tools::generateCode);
        StaticRoutes ui = new StaticRoutes(work);
        local.put(Route.ROOT, ui::redirectToUi);
        local.put(Route.UI, ui.page("ui.html"));
        local.put(Route.MONITOR, ui.page("monitor.html"));
        local.put(Route.UI_ASSET, ui.uiAssets());
        local.put(Route.WEBJAR, ui.webJars());
        PromptCheck promptCheck = config.models().contextCheck() ? new PromptCheck(catalog, tokens, advisor) : null;
        Router router = new Router(config.strictOpenAiApi(), config.metrics().enabled() ? config.metrics().path() : null,
                config.tts().enabled());
        return new ClientServices(config, router, new ClientAuth(config.auth(), config.upstreams().clients()),
                quotas, admission, upstreams, catalog, advisor, promptCheck, plan, work, tokens, ttsPool,
                new RequestBodyDecoder(config.server().maxRequestBodyBytes()), shared, local, connections,
                telemetry::onRequest, telemetry.metrics()::recordInterChunkGap);
    }

    private static String authority(String host, int port) {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /**
     * Where finished requests are counted: Prometheus families and the per-model usage behind {@code /v1/stats}; the
     * executor runs scrapes and aggregation, never an event loop.
     */
    public record Telemetry(ProxyMetrics metrics, UsageStats stats, Executor executor) {
        void onRequest(RequestSample sample) {
            metrics.onRequest(sample);
            stats.onRequest(sample);
        }
    }

    /** What the gauges read at scrape time. */
    private static LiveGauges liveGauges(Admission admission, ClientConnections connections) {
        return new LiveGauges(admission::active, admission::queued, () -> !connections.draining(), connections::open,
                () -> {
                    Map<String, LiveGauges.GuessSample> guesses = new java.util.LinkedHashMap<>();
                    admission.observedGuesses().forEach((model, o) ->
                            guesses.put(model, new LiveGauges.GuessSample(o.guess(), o.hardCap())));
                    return guesses;
                });
    }

    /** The Prometheus families and latency recorders of this instance. */
    public ProxyMetrics metrics() {
        return metrics;
    }

    /** The bound address (the real port when the config asked for port 0). */
    public InetSocketAddress address() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** The configuration in effect (with the demo upstream's address filled in). */
    public ProxyConfig config() {
        return config;
    }

    /** Requests being served right now. */
    /** The limits this replica shares with others through Redis, or null without {@code REDIS_URL}. */
    public SharedLimits sharedLimits() {
        return shared;
    }

    public int inFlight() {
        return connections.inFlight();
    }

    /** Response bytes queued for client sockets right now (what slow clients make the proxy hold). */
    public long clientPendingOutboundBytes() {
        return connections.pendingOutboundBytes();
    }

    /** Admission control (slots in use, queue length), for tests and diagnostics. */
    public Admission admission() {
        return admission;
    }

    /** Every upstream's models in one catalog, as the model tools see them. */
    public LiveCatalog catalog() {
        return upstreams.combined();
    }

    /** The configured upstreams and how models resolve to them. */
    public ModelRouter upstreams() {
        return upstreams;
    }

    /** The first upstream's model-list refresher, or null when its list is fixed. */
    public CatalogRefresher catalogRefresher() {
        return upstreams.upstreams().get(0).catalog().refresher();
    }

    /** The first upstream's connection pool, for tests and diagnostics. */
    public PerEventLoopUpstreamPool upstreamPool() {
        return (PerEventLoopUpstreamPool) upstreams.upstreams().get(0).pool();
    }

    /** Stops accepting, lets in-flight exchanges finish up to {@code grace}, then closes everything. Idempotent. */
    public void stop(Duration grace) {
        if (!stopping.compareAndSet(false, true)) {
            awaitTerminationUninterruptibly();
            return;
        }
        try {
            serverChannel.close().awaitUninterruptibly();
            connections.startDraining();
            boolean drained = connections.awaitDrained(grace);
            if (!drained) {
                log.warn("shutdown grace of {} ms over; closing {} requests still in flight", grace.toMillis(),
                        connections.inFlight());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            connections.closeAll();
            for (Upstream u : upstreams.upstreams()) {
                u.catalog().close();
                u.pool().close();
            }
            ttsPool.close();
            if (shared != null) {
                shared.close();
            }
            resolver.close();
            ioGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            acceptGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            telemetry.shutdownNow();
            work.shutdownNow();
            if (demo != null) {
                demo.close();
            }
            log.info("llm-proxy stopped");
            terminated.countDown();
        }
    }

    /** Blocks until {@link #stop} has completed. */
    public void awaitTermination() throws InterruptedException {
        terminated.await();
    }

    private void awaitTerminationUninterruptibly() {
        boolean interrupted = false;
        while (true) {
            try {
                terminated.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@link #stop} with the configured grace period. */
    @Override
    public void close() {
        stop(config.server().shutdownGrace());
    }
}
