package io.ferry.core.control;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * How many calls the peers of this daemon may have under way at once. Each holds one of the channel's workers while
 * it runs (a settle waiting for a domain's job, a Finish waiting for the memory, a Prepare fetching its snapshots), so
 * one peer, compromised or looping, could otherwise hold them all: operators could not even abort a job, and the
 * Finish and settle calls of other peers' migrations would wait behind its calls while their sources kept their
 * guests paused. A peer may have {@value #PER_PEER} calls under way, all peers together {@value #ALL_PEERS}; a call
 * beyond is refused at once (503), having done nothing. Operators are not counted.
 * <p>
 * A stream (a migration's tunnelled memory, for its whole Perform, or a side stream) is counted apart: an honest
 * source has one stream per migration here beside at most a phase call and a keepalive, so its streams would leave
 * sixteen migrations no room for those calls. A stream names its migration (whose key it presents), and a peer may
 * have one of each stream of a migration under way, so its streams are as many as the migrations it has here (at most
 * {@code DestinationPrepare.MAX_ARRIVING_PER_PEER} arriving) or this host sends to it: {@value #STREAMS_PER_PEER} at most
 * from one peer, {@value #STREAMS_ALL_PEERS} from all. The worker pool is sized from these limits
 * ({@link ChannelServer#WORKERS}).
 */
final class PeerCalls {
    static final int PER_PEER = 24;
    static final int ALL_PEERS = 40;
    /** As many as one peer may have migrations arriving here, so that each of them may stream its memory at once. */
    static final int STREAMS_PER_PEER = 32;
    static final int STREAMS_ALL_PEERS = 48;

    private final Map<String, Integer> underWay = new HashMap<>(); // guarded by this
    private int all; // guarded by this
    private final Map<String, Set<String>> streams = new HashMap<>(); // guarded by this
    private int allStreams; // guarded by this

    /** Counts a call of {@code peer} in and returns null, or returns why it may not run now. */
    synchronized String enter(String peer) {
        int own = underWay.getOrDefault(peer, 0);
        if (own >= PER_PEER) {
            return "certificate subject '" + peer + "' has " + own + " calls under way here, the most one peer may have at"
                    + " once: try again once one has ended";
        }
        if (all >= ALL_PEERS) {
            return "the peers of this daemon have " + all + " calls under way here, the most they may have at once: try"
                    + " again once one has ended";
        }
        underWay.put(peer, own + 1);
        all++;
        return null;
    }

    /** Counts out a call {@link #enter} counted in. */
    synchronized void leave(String peer) {
        underWay.computeIfPresent(peer, (subject, calls) -> calls == 1 ? null : calls - 1);
        all--;
    }

    /**
     * Counts a stream of {@code peer} in and returns null, or returns why it may not run now.
     *
     * @param stream which stream of which migration: "tunnel of migration ID"
     */
    synchronized String enterStream(String peer, String stream) {
        Set<String> own = streams.getOrDefault(peer, Set.of());
        if (own.contains(stream)) {
            return "certificate subject '" + peer + "' already has the " + stream + " under way here: one at a time";
        }
        if (own.size() >= STREAMS_PER_PEER) {
            return "certificate subject '" + peer + "' has " + own.size() + " streams under way here, the most one peer may"
                    + " have at once: try again once one has ended";
        }
        if (allStreams >= STREAMS_ALL_PEERS) {
            return "the peers of this daemon have " + allStreams + " streams under way here, the most they may have at once:"
                    + " try again once one has ended";
        }
        streams.computeIfAbsent(peer, subject -> new HashSet<>()).add(stream);
        allStreams++;
        return null;
    }

    /** Counts out a stream {@link #enterStream} counted in. */
    synchronized void leaveStream(String peer, String stream) {
        Set<String> own = streams.get(peer);
        own.remove(stream);
        if (own.isEmpty()) {
            streams.remove(peer);
        }
        allStreams--;
    }
}
