package dev.llmproxy.cluster;

/**
 * What every replica knows about one upstream scope. Immutable.
 *
 * @param available  false when Redis did not answer (then nothing else means anything)
 * @param pauseNanos how long the scope stays paused from now; 0 when it is not
 * @param limits     the limits it last advertised, {@link AdvertisedLimits#NONE} if none is on record
 * @param ageNanos   how long ago {@code limits} were observed; -1 when none are
 */
public record UpstreamView(boolean available, long pauseNanos, AdvertisedLimits limits, long ageNanos) {

    static final UpstreamView UNAVAILABLE = new UpstreamView(false, 0, AdvertisedLimits.NONE, -1);

    public boolean paused() {
        return pauseNanos > 0;
    }
}
