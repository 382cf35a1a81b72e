package dev.llmproxy.demo;

/**
 * A stable 64-bit FNV-1a hash: the same input gives the same value in every JVM and on every run, which is what
 * makes the simulator's replies and vectors reproducible. Not for security.
 *
 * <p>Threading: a mutable accumulator; one per request, confined to its thread.
 */
final class DemoHash {
    private static final long OFFSET_BASIS = 0xcbf29ce484222325L;
    private static final long PRIME = 0x100000001b3L;

    private long hash = OFFSET_BASIS;

    DemoHash add(CharSequence text) {
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            addByte(c & 0xff);
            addByte(c >>> 8);
        }
        return this;
    }

    DemoHash add(int value) {
        addByte(value & 0xff);
        addByte((value >>> 8) & 0xff);
        addByte((value >>> 16) & 0xff);
        addByte(value >>> 24);
        return this;
    }

    /** Marks a boundary, so ("ab","c") and ("a","bc") hash differently. */
    DemoHash separator() {
        addByte(0x1f);
        addByte(0xff);
        return this;
    }

    long value() {
        return hash;
    }

    private void addByte(int b) {
        hash ^= b;
        hash *= PRIME;
    }
}
