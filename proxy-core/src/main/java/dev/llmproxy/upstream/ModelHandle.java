package dev.llmproxy.upstream;

/**
 * A model id resolved once, for every per-model table on the request path: {@link #index} is dense, assigned by one
 * {@link ModelIndex}, and each table keeps its state for the model in an array at that index. Ids that differ only in
 * case share a handle (the tables always matched ids ignoring case). Index 0 is {@link #OTHER}: every id the index
 * had no room for, which each table counts in its shared "other" slot.
 *
 * @param id    the spelling the index first saw (a catalog's, when the catalog listed it first); for reports and
 *              scope names only: the id sent upstream is the {@link Hop}'s
 * @param index 1..{@link ModelIndex#capacity()}, or 0 for {@link #OTHER}
 */
public record ModelHandle(String id, int index) {
    /** The shared slot of every id the index had no room for. */
    public static final ModelHandle OTHER = new ModelHandle("other", 0);

    /** Whether this is the shared slot rather than a model's own. */
    public boolean isOther() {
        return index == 0;
    }
}
