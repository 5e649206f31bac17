package io.ferry.core.migration;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Peer;

/** How this daemon reaches the other daemon of a migration. */
public interface Peers {
    Peer peer(String uri) throws ChannelException;
}
