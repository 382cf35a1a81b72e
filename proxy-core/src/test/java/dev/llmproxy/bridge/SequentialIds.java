package dev.llmproxy.bridge;

/** {@link Ids} numbered in the order they are asked for, so a translation's ids are predictable in golden files. */
public final class SequentialIds implements Ids {
    private int next = 1;

    @Override
    public String next(String prefix) {
        return prefix + "_" + String.format("%04d", next++);
    }
}
