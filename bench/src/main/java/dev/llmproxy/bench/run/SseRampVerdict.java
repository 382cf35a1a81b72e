package dev.llmproxy.bench.run;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Whose limit each relay's "concurrent streams sustained" figure is. Every target is ramped against the same
 * upstream; when the upstream itself, measured directly, fails at a level at or below the one where a relay failed,
 * that relay's figure is the upstream's (and the machine's), not the relay's: the relay may well hold more against
 * an upstream that does. A relay that failed below the upstream's own failure, or against an upstream that never
 * failed, has a figure of its own.
 *
 * @param directFailedAt the level the direct target first failed at; 0 when it passed every level
 * @param upstreamBound  the relays whose figure is the upstream's, in the order given
 * @param ownLimit       the relays that failed below the upstream's limit (or against one that never failed)
 */
record SseRampVerdict(int directFailedAt, List<String> upstreamBound, List<String> ownLimit) {

    /**
     * @param failedAt per target, the first level it failed at; a target that passed every level is absent
     * @param relays   the relays to judge (every target but direct), in report order
     */
    static SseRampVerdict of(Map<String, Integer> failedAt, List<String> relays) {
        int direct = failedAt.getOrDefault(Target.DIRECT, 0);
        List<String> bound = new ArrayList<>();
        List<String> own = new ArrayList<>();
        for (String relay : relays) {
            Integer at = failedAt.get(relay);
            if (at == null) {
                continue; // passed every level: a lower bound, whoever limits beyond it
            }
            if (direct > 0 && direct <= at) {
                bound.add(relay);
            } else {
                own.add(relay);
            }
        }
        return new SseRampVerdict(direct, List.copyOf(bound), List.copyOf(own));
    }

    /** The headline metric's suffix, empty when every figure is the relays' own. */
    String headlineSuffix() {
        if (upstreamBound.isEmpty()) {
            return "";
        }
        return "; " + String.join(", ", upstreamBound) + ": the upstream's limit, not the relay's (direct failed at "
                + directFailedAt + ")";
    }
}
