package io.ferry.protocol.xml;

/**
 * The strings documents repeat (element and attribute names, short values, indentation), kept so that reading one
 * again makes no new string: most of what a reader allocates otherwise. Shared by every thread without locks: a
 * slot is one reference, a string is immutable, and a slot another thread overwrote is only a miss.
 */
final class SharedStrings {
    /** Longer strings are rarely repeated and cost more to compare than to make. */
    static final int MAX_LENGTH = 32;
    private static final String[] SLOTS = new String[4096];

    private SharedStrings() {
    }

    /** The string of {@code length} chars at {@code start}, whose {@link #hash} is {@code hash}. */
    static String of(char[] in, int start, int length, int hash) {
        if (length > MAX_LENGTH) {
            return new String(in, start, length);
        }
        int slot = (hash ^ hash >>> 12) & SLOTS.length - 1;
        String cached = SLOTS[slot];
        if (cached != null && cached.length() == length && sameChars(cached, in, start)) {
            return cached;
        }
        String made = new String(in, start, length);
        SLOTS[slot] = made;
        return made;
    }

    static String of(char[] in, int start, int length) {
        return length > MAX_LENGTH ? new String(in, start, length) : of(in, start, length, hash(in, start, length));
    }

    static int hash(char[] in, int start, int length) {
        int hash = 0;
        for (int i = start; i < start + length; i++) {
            hash = 31 * hash + in[i];
        }
        return hash;
    }

    private static boolean sameChars(String cached, char[] in, int start) {
        for (int i = 0; i < cached.length(); i++) {
            if (cached.charAt(i) != in[start + i]) {
                return false;
            }
        }
        return true;
    }
}
