package dev.llmproxy.cluster;

import dev.llmproxy.testing.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static dev.llmproxy.cluster.Replicas.get;
import static org.assertj.core.api.Assertions.assertThat;

class UpstreamSignalsIT {

    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private final Replicas replicas = new Replicas(REDIS.url());
    private final ManualSharedClock clock = new ManualSharedClock();

    @AfterEach
    void closeReplicas() {
        replicas.close();
    }

    @Test
    void limitsOneReplicaObservedAreReadByAnotherWithResetsOnTheSharedClock() {
        UpstreamSignals a = replicas.start(clock).upstreams();
        UpstreamSignals b = replicas.start(clock).upstreams();
        AdvertisedLimits seen = new AdvertisedLimits(500, 499, Duration.ofMillis(120).toNanos(), 30_000, 29_000,
                Duration.ofSeconds(6).toNanos());

        assertThat(get(a.publish(replicas.loop(), "openai/gpt-4.1", seen))).isTrue();
        clock.advance(Duration.ofSeconds(2));
        UpstreamView view = get(b.read(replicas.loop(), "openai/gpt-4.1"));

        assertThat(view.available()).isTrue();
        assertThat(view.paused()).isFalse();
        assertThat(view.ageNanos()).isEqualTo(Duration.ofSeconds(2).toNanos());
        // the request reset has passed, the token reset has 4 s to go
        assertThat(view.limits()).isEqualTo(new AdvertisedLimits(500, 499, 0, 30_000, 29_000,
                Duration.ofSeconds(4).toNanos()));
        assertThat(get(b.read(replicas.loop(), "openai/gpt-4.1-mini")))
                .isEqualTo(new UpstreamView(true, 0, AdvertisedLimits.NONE, -1));
    }

    @Test
    void headersAnUpstreamDidNotSendStayUnknown() {
        UpstreamSignals signals = replicas.start(clock).upstreams();

        get(signals.publish(replicas.loop(), "azure", new AdvertisedLimits(-1, 12, -1, -1, 800, -1)));

        assertThat(get(signals.read(replicas.loop(), "azure")).limits())
                .isEqualTo(new AdvertisedLimits(-1, 12, -1, -1, 800, -1));
    }

    @Test
    void aShorterPauseNeverCutsALongerOneShort() {
        UpstreamSignals a = replicas.start(clock).upstreams();
        UpstreamSignals b = replicas.start(clock).upstreams();

        assertThat(get(a.pause(replicas.loop(), "openrouter", Duration.ofSeconds(20))))
                .isEqualTo(Duration.ofSeconds(20).toNanos());
        assertThat(get(b.pause(replicas.loop(), "openrouter", Duration.ofMillis(1_500))))
                .isEqualTo(Duration.ofSeconds(20).toNanos());
        clock.advance(Duration.ofSeconds(5));
        assertThat(get(b.read(replicas.loop(), "openrouter")).pauseNanos()).isEqualTo(Duration.ofSeconds(15).toNanos());
        assertThat(get(b.pause(replicas.loop(), "openrouter", Duration.ofSeconds(60))))
                .isEqualTo(Duration.ofSeconds(60).toNanos());
        clock.advance(Duration.ofSeconds(60));
        assertThat(get(a.read(replicas.loop(), "openrouter")).paused()).isFalse();
    }
}
