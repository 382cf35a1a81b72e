package dev.llmproxy.bridge;

/**
 * Makes the ids a bridged answer needs ({@code resp_…}, {@code msg_…}, {@code fc_…}, {@code toolu_…}): unique within
 * the process and across replicas with overwhelming probability, never secret. Implementations are safe to share
 * across event loops.
 */
public interface Ids {
    /** A fresh id: {@code prefix}, an underscore, then characters from {@code [0-9A-Za-z]}. */
    String next(String prefix);
}
