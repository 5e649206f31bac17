package io.ferry.core.migration;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;

/** How this daemon reaches a peer daemon's control channel. */
public interface PeerClients {
    ControlClient client(String uri) throws ChannelException;
}
