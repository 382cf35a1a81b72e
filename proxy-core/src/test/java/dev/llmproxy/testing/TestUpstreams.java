package dev.llmproxy.testing;

import dev.llmproxy.config.ResponsesMode;
import dev.llmproxy.config.UpstreamAuth;
import dev.llmproxy.config.UpstreamKind;
import dev.llmproxy.config.UpstreamLimits;
import dev.llmproxy.config.UpstreamOptions;
import dev.llmproxy.config.UpstreamOverrides;
import dev.llmproxy.config.UpstreamSpec;
import dev.llmproxy.openai.KnownModels;
import dev.llmproxy.openai.UpstreamCatalog;
import dev.llmproxy.upstream.Upstream;
import dev.llmproxy.upstream.UpstreamPool;
import dev.llmproxy.upstream.UpstreamTarget;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Upstreams for unit tests: real specs and catalogs around a pool that is never asked for a connection. */
public final class TestUpstreams {
    public static final UpstreamOptions OPTIONS = new UpstreamOptions(Duration.ofSeconds(1), Duration.ofSeconds(5),
            Duration.ofSeconds(5), 4, 16, Duration.ofSeconds(30), Optional.empty(), true);

    private TestUpstreams() {
    }

    /** An upstream at {@code http://<name>.test/v1} listing exactly {@code models}. */
    public static Upstream upstream(int index, String name, UpstreamKind kind, UpstreamAuth auth, String apiKey,
                                    List<String> models) {
        URI base = URI.create("http://" + name + ".test/v1");
        UpstreamSpec spec = new UpstreamSpec(name, kind, Optional.of(base), Optional.ofNullable(apiKey), auth,
                Optional.of(models), kind.defaultResponses(), UpstreamLimits.NONE, Optional.empty(),
                UpstreamOverrides.NONE, Map.of());
        return new Upstream(index, spec, OPTIONS, pool(UpstreamTarget.of(base)),
                UpstreamCatalog.fixed(name, models, KnownModels.bundled(), Clock.systemUTC()));
    }

    /** A pool whose every acquire fails: for code that only resolves and reads upstreams. */
    public static UpstreamPool pool(UpstreamTarget target) {
        return new UpstreamPool() {
            @Override
            public Future<Channel> acquire(EventLoop loop, boolean fresh) {
                return ImmediateEventExecutor.INSTANCE.newFailedFuture(new IllegalStateException("no connections"));
            }

            @Override
            public void release(Channel channel) {
                channel.close();
            }

            @Override
            public int openConnections() {
                return 0;
            }

            @Override
            public int idleConnections() {
                return 0;
            }

            @Override
            public UpstreamTarget target() {
                return target;
            }

            @Override
            public void close() {
            }
        };
    }
}
