package dev.llmproxy.cluster;

import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * One thing a replica learned from an upstream's 429 about a model's quota, as every replica hears it: a pause of the
 * model or of every model, the model's daily quota gone, or its concurrency lowered, for {@code nanos} from when it
 * was heard. Travels on Redis's channel as {@code <kind> <microseconds> <limit> <model>} (the model last: an id may
 * hold spaces). Immutable.
 *
 * @param kind  what was learned
 * @param model the catalog id, or {@code other} for the slot every unlisted id shares; ignored for {@link Kind#ALL}
 * @param nanos how long it holds from now; positive
 * @param limit the lowered concurrency for {@link Kind#CONCURRENCY} (at least 1), else -1
 */
public record LearnedQuota(Kind kind, String model, long nanos, int limit) {

    /** What was learned; the names are the wire's. */
    public enum Kind {
        /** The model's per-minute window is exhausted. */
        PAUSE("pause"),
        /** Every model's per-minute window is exhausted ({@code UserByMinute}). */
        ALL("all"),
        /** The model's daily quota is gone until its reset. */
        DAY("day"),
        /** The model's concurrent calls must stay at or below {@code limit}. */
        CONCURRENCY("concurrency");

        private final String wire;

        Kind(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }

        static Kind of(String wire) {
            for (Kind k : values()) {
                if (k.wire.equals(wire)) {
                    return k;
                }
            }
            return null;
        }
    }

    public LearnedQuota {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(model, "model");
        if (nanos <= 0) {
            throw new IllegalArgumentException("nanos: " + nanos + " (expected: > 0)");
        }
        if (kind == Kind.CONCURRENCY ? limit < 1 : limit != -1) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: >= 1 for concurrency, else -1)");
        }
    }

    /**
     * A message from the channel or a line of the stored state; null for anything not in the format (a newer
     * replica's kind, a damaged value): news that cannot be read is dropped, never guessed at.
     */
    static LearnedQuota parse(String text) {
        if (text == null) {
            return null;
        }
        int a = text.indexOf(' ');
        int b = a < 0 ? -1 : text.indexOf(' ', a + 1);
        int c = b < 0 ? -1 : text.indexOf(' ', b + 1);
        if (c < 0 || c == text.length() - 1) {
            return null;
        }
        Kind kind = Kind.of(text.substring(0, a));
        try {
            long micros = Long.parseLong(text.substring(a + 1, b));
            int limit = Integer.parseInt(text.substring(b + 1, c));
            if (kind == null || micros <= 0 || (kind == Kind.CONCURRENCY ? limit < 1 : limit != -1)) {
                return null;
            }
            return new LearnedQuota(kind, text.substring(c + 1), TimeUnit.MICROSECONDS.toNanos(micros), limit);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
