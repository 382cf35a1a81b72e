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
    void aShorterPauseNeverCutsALongerOneShort() {
        UpstreamSignals a = replicas.start(clock).upstreams();
        UpstreamSignals b = replicas.start(clock).upstreams();

        assertThat(get(a.pause(replicas.loop(), "openrouter", Duration.ofSeconds(20))))
                .isEqualTo(Duration.ofSeconds(20).toNanos());
        assertThat(get(b.pause(replicas.loop(), "openrouter", Duration.ofMillis(1_500))))
                .isEqualTo(Duration.ofSeconds(20).toNanos());
        clock.advance(Duration.ofSeconds(5));
        assertThat(get(b.pauseLeft(replicas.loop(), "openrouter"))).isEqualTo(Duration.ofSeconds(15).toNanos());
        assertThat(get(b.pause(replicas.loop(), "openrouter", Duration.ofSeconds(60))))
                .isEqualTo(Duration.ofSeconds(60).toNanos());
        clock.advance(Duration.ofSeconds(60));
        assertThat(get(a.pauseLeft(replicas.loop(), "openrouter"))).isZero();
        assertThat(get(a.pauseLeft(replicas.loop(), "openai"))).isZero();
    }
}
