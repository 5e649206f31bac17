package io.ferry.core.control;

import java.util.HashMap;
import java.util.Map;

/**
 * How many calls the peers of this daemon may have under way at once. Each holds one of the channel's
 * {@value ChannelServer#WORKERS} workers while it runs (a tunnelled memory stream for minutes, a Finish waiting for
 * the memory, a settle waiting for a domain's job), so one peer, compromised or looping, could otherwise hold them
 * all: operators could not even abort a job, and the Finish and settle calls of other peers' migrations would wait
 * behind its calls while their sources kept their guests paused. A peer may have {@value #PER_PEER} calls under way,
 * all peers together {@value #ALL_PEERS}; a call beyond is refused at once (503), having done nothing. An honest source
 * has about three under way per migration (its tunnelled stream, Finish, a keepalive). Operators are not counted.
 */
final class PeerCalls {
    static final int PER_PEER = 24;
    static final int ALL_PEERS = 40;

    private final Map<String, Integer> underWay = new HashMap<>(); // guarded by this
    private int all; // guarded by this

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
}
