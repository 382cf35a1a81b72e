package dev.llmproxy.netty;

import io.netty.util.AsciiString;

/**
 * An immutable set of HTTP header names with case-insensitive lookup that allocates nothing per call: header
 * filtering runs for every header of every proxied message.
 */
public final class HeaderNameSet {
    private final String[] table;
    private final int mask;

    public HeaderNameSet(String... names) {
        int size = Integer.highestOneBit(Math.max(4, names.length * 4) - 1) << 1;
        table = new String[size];
        mask = size - 1;
        for (String name : names) {
            if (!contains(name)) {
                int i = AsciiString.hashCode(name) & mask;
                while (table[i] != null) {
                    i = (i + 1) & mask;
                }
                table[i] = name;
            }
        }
    }

    public boolean contains(CharSequence name) {
        int i = AsciiString.hashCode(name) & mask;
        String candidate;
        while ((candidate = table[i]) != null) {
            if (AsciiString.contentEqualsIgnoreCase(candidate, name)) {
                return true;
            }
            i = (i + 1) & mask;
        }
        return false;
    }
}
