package dev.llmproxy.cluster;

import dev.llmproxy.testing.RedisServer;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.llmproxy.cluster.Replicas.get;
import static org.assertj.core.api.Assertions.assertThat;

class SharedLeasesIT {

    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private static final Duration TTL = Replicas.MANUAL_TIMINGS.leaseTtl();

    private final Replicas replicas = new Replicas(REDIS.url());
    private final ManualSharedClock clock = new ManualSharedClock();

    @AfterEach
    void closeReplicas() {
        replicas.close();
    }

    @Test
    void theLimitHoldsAcrossReplicasAndAReleaseFreesASlot() {
        List<SharedLimits> three = List.of(replicas.start(clock), replicas.start(clock), replicas.start(clock));
        List<Future<LeaseGrant>> asks = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            asks.add(three.get(i % 3).leases().acquire(replicas.loop(), "upstream:openai", 4));
        }
        List<LeaseGrant> grants = asks.stream().map(Replicas::get).toList();

        List<LeaseGrant> granted = grants.stream().filter(LeaseGrant::granted).toList();
        assertThat(granted).hasSize(4);
        assertThat(grants).filteredOn(g -> g.status() == LeaseGrant.Status.FULL).hasSize(8)
                .allSatisfy(g -> assertThat(g.held()).isEqualTo(4));
        assertThat(three.stream().mapToInt(r -> r.leases().heldHere()).sum()).isEqualTo(4);

        assertThat(get(granted.get(0).lease().release())).isTrue();
        assertThat(get(granted.get(0).lease().release())).isFalse();
        LeaseGrant next = get(three.get(2).leases().acquire(replicas.loop(), "upstream:openai", 4));
        assertThat(next.granted()).isTrue();
        assertThat(next.held()).isEqualTo(4);
        assertThat(get(three.get(1).leases().acquire(replicas.loop(), "upstream:openai", 4)).granted()).isFalse();
        // another scope has its own slots
        assertThat(get(three.get(1).leases().acquire(replicas.loop(), "upstream:azure", 4)).granted()).isTrue();
    }

    @Test
    void aCrashedHoldersLeasesFreeThemselvesAfterTheTimeToLive() {
        SharedLimits crashed = replicas.start(clock);
        SharedLimits survivor = replicas.start(clock);
        assertThat(get(crashed.leases().acquire(replicas.loop(), "upstream:vllm", 2)).granted()).isTrue();
        assertThat(get(crashed.leases().acquire(replicas.loop(), "upstream:vllm", 2)).granted()).isTrue();
        // from here on the holder neither releases nor renews, as a killed process would not

        clock.advance(TTL.minusSeconds(1));
        assertThat(get(survivor.leases().acquire(replicas.loop(), "upstream:vllm", 2)).status())
                .isEqualTo(LeaseGrant.Status.FULL);

        clock.advance(Duration.ofSeconds(1));
        LeaseGrant after = get(survivor.leases().acquire(replicas.loop(), "upstream:vllm", 2));
        assertThat(after.granted()).isTrue();
        assertThat(after.held()).isEqualTo(1);
    }

    @Test
    void renewalKeepsHeldLeasesBeyondTheirFirstTimeToLive() {
        SharedLimits holder = replicas.start(clock);
        SharedLimits other = replicas.start(clock);
        List<SharedLease> held = new ArrayList<>();
        // more leases than one renewal script carries, over two scopes
        int count = SharedLeases.RENEW_BATCH + 10;
        for (int i = 0; i < count; i++) {
            held.add(get(holder.leases().acquire(replicas.loop(), i % 2 == 0 ? "a" : "b", count)).lease());
        }
        assertThat(held).doesNotContainNull();

        clock.advance(TTL.dividedBy(2));
        assertThat(get(holder.leases().renewAll(replicas.loop()))).isZero();
        clock.advance(TTL.dividedBy(2).plusSeconds(1));

        assertThat(get(other.leases().acquire(replicas.loop(), "a", (count + 1) / 2)).status())
                .isEqualTo(LeaseGrant.Status.FULL);
        assertThat(get(other.leases().acquire(replicas.loop(), "b", count / 2)).status())
                .isEqualTo(LeaseGrant.Status.FULL);
        assertThat(held).noneMatch(SharedLease::lost);
        assertThat(holder.leases().heldHere()).isEqualTo(count);
    }

    @Test
    void aLeaseThatExpiredBeforeItsRenewalIsReportedLostAndNotBroughtBack() {
        SharedLimits holder = replicas.start(clock);
        SharedLimits other = replicas.start(clock);
        SharedLease lease = get(holder.leases().acquire(replicas.loop(), "upstream:slow", 1)).lease();

        clock.advance(TTL.plusSeconds(1));
        assertThat(get(other.leases().acquire(replicas.loop(), "upstream:slow", 1)).granted()).isTrue();
        assertThat(get(holder.leases().renewAll(replicas.loop()))).isEqualTo(1);

        assertThat(lease.lost()).isTrue();
        assertThat(holder.leases().heldHere()).isZero();
        assertThat(holder.leases().lostTotal()).isEqualTo(1);
        // the slot stays with the replica that took it after the expiry
        assertThat(get(holder.leases().acquire(replicas.loop(), "upstream:slow", 1)).status())
                .isEqualTo(LeaseGrant.Status.FULL);
    }
}
