package io.ferry.plugin.snapshots;

import io.ferry.api.cookie.CookieException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How many bytes of incoming snapshot streams a daemon holds at once, all migrations together. A stream is held
 * whole until it is staged (its digest comes at its end), and each of its bytes costs up to four on the heap (a
 * String of UTF-16 for XML outside Latin-1, the staged pack and its copy), and each snapshot, however small, some
 * hundreds more ({@link #PER_SNAPSHOT}): a peer, or a few migrations at once, must not be able to fill the daemon's
 * heap with streams each within its own bound, whether of large snapshots or of many tiny ones. A stream is charged
 * as each of its snapshots is read, not for the count it announces: one that announces many and sends few (a slow
 * peer, or one that would shut the others out) holds what it sent. A stream that would go over fails its migration,
 * which leaves the domain on its source, with a message that says why. Every daemon of this build has the same
 * budget, so a stream over it alone can never migrate to one: the source refuses its domain at Begin ({@link
 * #requireTakeable}), before any destination is asked (one of 87ad4d9, which charges a snapshot its bytes alone, would
 * take some: docs/migration.md, "Mixed versions").
 */
final class IncomingBudget {
    /** The bytes held at most, and so also the most one stream may carry. */
    static final long BYTES = 64L * 1024 * 1024;
    /**
     * What the destination holds per snapshot beside its text's bytes until it is staged: the String's and its array's
     * headers, the store's record and name, its entry in the store's map of what it read, the hierarchy's map entries
     * and lists, the staged pack's entry (sized text + 136) and its copy's. Measured for 200,000 snapshots of 50 bytes
     * (the smallest with a 4-character name): 51 bytes a snapshot for the text's String beyond the text, 139 held
     * after the hierarchy's check; the peaks added up from the structures: ~280 during that check (its maps), ~330
     * while the pack is written, more with a parent's name. Rounded up: the budget then bounds the count too (at most
     * 131,072 snapshots in all), where a million tiny ones took 55 MB of it and several hundred MB of heap.
     */
    static final long PER_SNAPSHOT = 512;
    /** How a domain whose snapshots no daemon can take migrates all the same. */
    static final String FEWER_SNAPSHOTS = "migrate the domain with fewer snapshots (Ferry has no snapshot-delete:"
            + " `ferry undefine NAME --snapshots-metadata` on the source removes a shut-off domain with all of its"
            + " snapshots, to be defined again)";

    private final long limit;
    private final AtomicLong held = new AtomicLong();

    IncomingBudget(long limit) {
        this.limit = limit;
    }

    /**
     * What a stream of {@code count} snapshots, {@code length} bytes as {@link SnapshotStream} writes it, holds at its
     * destination once read: its bytes but the count before them, and {@link #PER_SNAPSHOT} a snapshot.
     */
    static long need(int count, long length) {
        return length - SnapshotStream.HEADER + count * PER_SNAPSHOT;
    }

    /**
     * The source's refusal, at Begin, of a domain whose snapshots no daemon of this build can take: {@code count} of
     * them, in a stream of {@code length} bytes (negative: not measured yet, their count alone is checked).
     */
    static void requireTakeable(String domain, int count, long length) throws CookieException {
        if (count > BYTES / PER_SNAPSHOT) {
            throw new CookieException("domain " + domain + " cannot migrate: its " + count + " snapshots are more than"
                    + " any Ferry daemon of this build takes in one migration (at most " + BYTES / PER_SNAPSHOT + ": "
                    + PER_SNAPSHOT + " bytes each beside their text within the " + BYTES + " bytes of incoming"
                    + " snapshots it holds at once); " + FEWER_SNAPSHOTS);
        }
        if (length >= 0 && need(count, length) > BYTES) {
            throw new CookieException("domain " + domain + " cannot migrate: its " + count + " snapshots make a"
                    + " snapshots stream of " + length + " bytes, which a destination holds with " + PER_SNAPSHOT
                    + " bytes a snapshot beside their text, " + need(count, length) + " bytes in all: over the " + BYTES
                    + " bytes of incoming snapshots every Ferry daemon of this build holds at once, so no destination of"
                    + " this build can take them; " + FEWER_SNAPSHOTS);
        }
    }

    /** A stream's share, taken as it is read and given back when it is closed (staged or failed). */
    Share open() {
        return new Share();
    }

    long held() {
        return held.get();
    }

    final class Share implements AutoCloseable {
        private long bytes;
        private int snapshots;

        /**
         * Checks the {@code count} of snapshots a stream announces against what the budget holds of so many, taking
         * nothing for them: each is taken as it is read ({@link #takeSnapshot}), so that a stream holds what it was
         * sent, not what it announced. A count the budget cannot hold even alone is refused as such, naming it.
         */
        void allow(int count) throws CookieException {
            if (count > limit / PER_SNAPSHOT) {
                throw new CookieException("snapshots stream announces " + count + " snapshots, more than this daemon holds"
                        + " at once (at most " + limit / PER_SNAPSHOT + ": " + PER_SNAPSHOT + " bytes each beside their text"
                        + " within its " + limit + " bytes for incoming snapshots), as every Ferry daemon of this build:"
                        + " it can never be taken here; " + FEWER_SNAPSHOTS);
            }
        }

        /** Takes a snapshot's share as it is read: its {@code length} bytes, its framing and {@link #PER_SNAPSHOT}. */
        void takeSnapshot(int length) throws CookieException {
            snapshots++;
            take(SnapshotStream.FRAMING + length + PER_SNAPSHOT);
        }

        /** Takes {@code more} bytes for the stream, or refuses if the daemon would hold more than its limit. */
        void take(long more) throws CookieException {
            if (bytes + more > limit) {
                throw new CookieException("snapshots stream: this one" + soFar(more) + " are over the " + limit
                        + " bytes of incoming snapshots this daemon holds at once, as every Ferry daemon of this build,"
                        + " with no other migration counted: it can never be taken here, however often it is migrated"
                        + " again; "
                        + FEWER_SNAPSHOTS);
            }
            long now = held.addAndGet(more);
            if (now > limit) {
                held.addAndGet(-more);
                throw new CookieException("snapshots stream: with this one" + soFar(more) + " this daemon would hold"
                        + " over " + limit + " bytes of incoming snapshots at once (other migrations' included);"
                        + " migrate again once they are staged");
            }
            bytes += more;
        }

        private String soFar(long more) {
            return "'s " + (bytes + more) + " bytes so far" + (snapshots == 0 ? "" : " (" + snapshots + " snapshots, "
                    + PER_SNAPSHOT + " bytes each beside their text)");
        }

        @Override
        public void close() {
            held.addAndGet(-bytes);
            bytes = 0;
        }
    }
}
