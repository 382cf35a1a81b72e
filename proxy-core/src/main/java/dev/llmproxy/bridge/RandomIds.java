package dev.llmproxy.bridge;

import java.util.concurrent.ThreadLocalRandom;

/**
 * {@link Ids} from 24 random base-62 characters (about 143 bits): collisions are not a concern and no coordination
 * between event loops or replicas is needed. Not cryptographic — these ids guard nothing.
 */
public final class RandomIds implements Ids {
    public static final RandomIds INSTANCE = new RandomIds();

    private static final int LENGTH = 24;
    private static final char[] ALPHABET =
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

    private RandomIds() {
    }

    @Override
    public String next(String prefix) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        char[] id = new char[prefix.length() + 1 + LENGTH];
        prefix.getChars(0, prefix.length(), id, 0);
        id[prefix.length()] = '_';
        for (int i = prefix.length() + 1; i < id.length; i++) {
            id[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        return new String(id);
    }
}
