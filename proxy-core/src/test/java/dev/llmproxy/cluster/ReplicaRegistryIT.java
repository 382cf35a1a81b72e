package dev.llmproxy.cluster;

import dev.llmproxy.testing.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static dev.llmproxy.cluster.Replicas.get;
import static org.assertj.core.api.Assertions.assertThat;

class ReplicaRegistryIT {

    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private final Replicas replicas = new Replicas(REDIS.url());
    private final ManualSharedClock clock = new ManualSharedClock();

    @AfterEach
    void closeReplicas() {
        replicas.close();
    }

    @Test
    void everyReplicaRegistersOnConnectAndCountsTheLiveOnes() {
        SharedLimits a = replicas.start(clock);
        SharedLimits b = replicas.start(clock);
        SharedLimits c = replicas.start(clock);
        // registration on connect is asynchronous; a heartbeat returns once its own is in
        get(a.replicas().heartbeat(replicas.loop()));
        get(b.replicas().heartbeat(replicas.loop()));
        get(c.replicas().heartbeat(replicas.loop()));

        assertThat(get(a.replicas().count(replicas.loop()))).isEqualTo(3);
        assertThat(a.replicas().lastKnownCount()).isEqualTo(3);
        assertThat(a.replicas().localShare(10)).isEqualTo(3);
        assertThat(a.replicas().localShare(2)).isEqualTo(1);
        assertThat(a.replicas().replicaId()).isNotEqualTo(b.replicas().replicaId());

        c.close();
        assertThat(get(a.replicas().count(replicas.loop()))).isEqualTo(2);
    }

    @Test
    void aReplicaThatStopsBeatingDropsOutAfterTheTimeToLive() {
        SharedLimits alive = replicas.start(clock);
        SharedLimits crashed = replicas.start(clock);
        get(crashed.replicas().heartbeat(replicas.loop()));
        assertThat(get(alive.replicas().heartbeat(replicas.loop()))).isEqualTo(2);

        clock.advance(Replicas.MANUAL_TIMINGS.replicaTtl().minusSeconds(1));
        assertThat(get(alive.replicas().heartbeat(replicas.loop()))).isEqualTo(2);
        clock.advance(Duration.ofSeconds(1));

        assertThat(get(alive.replicas().heartbeat(replicas.loop()))).isEqualTo(1);
        assertThat(alive.replicas().lastKnownCount()).isEqualTo(1);
    }
}
