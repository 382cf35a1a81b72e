package dev.llmproxy.bench.run;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SseRampVerdictTest {
    private static final List<String> RELAYS = List.of(Target.PROXY, Target.NGINX);

    @Test
    void aRelayThatFailedWhereTheUpstreamFailedOrAboveHasTheUpstreamsFigure() {
        SseRampVerdict v = SseRampVerdict.of(Map.of(Target.DIRECT, 1024, Target.PROXY, 1024, Target.NGINX, 2048),
                RELAYS);

        assertThat(v.upstreamBound()).containsExactly(Target.PROXY, Target.NGINX);
        assertThat(v.ownLimit()).isEmpty();
        assertThat(v.headlineSuffix()).contains("proxy, nginx: the upstream's limit").contains("1024");
    }

    @Test
    void aRelayThatFailedBelowTheUpstreamHasAFigureOfItsOwn() {
        SseRampVerdict v = SseRampVerdict.of(Map.of(Target.DIRECT, 2048, Target.PROXY, 512, Target.NGINX, 2048),
                RELAYS);

        assertThat(v.ownLimit()).containsExactly(Target.PROXY);
        assertThat(v.upstreamBound()).containsExactly(Target.NGINX);
    }

    @Test
    void anUpstreamThatNeverFailedBoundsNobody() {
        SseRampVerdict v = SseRampVerdict.of(Map.of(Target.PROXY, 4096), RELAYS);

        assertThat(v.directFailedAt()).isZero();
        assertThat(v.ownLimit()).containsExactly(Target.PROXY);
        assertThat(v.upstreamBound()).isEmpty();
        assertThat(v.headlineSuffix()).isEmpty();
    }

    @Test
    void aRelayThatPassedEveryLevelIsJudgedNeither() {
        SseRampVerdict v = SseRampVerdict.of(Map.of(Target.DIRECT, 2048), RELAYS);

        assertThat(v.upstreamBound()).isEmpty();
        assertThat(v.ownLimit()).isEmpty();
    }
}
