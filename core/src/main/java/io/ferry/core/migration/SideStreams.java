package io.ferry.core.migration;

import io.ferry.api.cookie.SideStream;
import io.ferry.protocol.ChannelException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The side streams of migrations: a source section offers a writer while it bakes; the destination's section
 * opens the stream while it eats, and this host fetches it from the source's
 * {@code GET /v1/migration/ID/stream/FEATURE}.
 */
final class SideStreams {
    private final Map<String, SideStream.Writer> offered = new ConcurrentHashMap<>();
    private final PeerClients peers;

    SideStreams(PeerClients peers) {
        this.peers = peers;
    }

    /** The side stream of {@code feature} in migration {@code id}, whose peer daemon is {@code peerUri}. */
    SideStream of(String id, String peerUri, String feature) {
        return new SideStream() {
            @Override
            public void offer(Writer writer) {
                offered.put(id + "/" + feature, writer);
            }

            @Override
            public InputStream open() throws IOException {
                if (peerUri == null) {
                    throw new IOException("no peer to fetch the " + feature + " stream of migration " + id + " from");
                }
                try {
                    return peers.client(peerUri).download("migration/" + id + "/stream/" + feature);
                } catch (ChannelException e) {
                    throw new IOException("cannot fetch the " + feature + " stream of migration " + id + ": " + e.getMessage(), e);
                }
            }
        };
    }

    /** Serves what a section offered; false when nothing was. */
    boolean serve(String id, String feature, OutputStream out) throws IOException {
        SideStream.Writer writer = offered.get(id + "/" + feature);
        if (writer == null) {
            return false;
        }
        writer.writeTo(out);
        return true;
    }

    boolean offers(String id, String feature) {
        return offered.containsKey(id + "/" + feature);
    }

    void forget(String id) {
        offered.keySet().removeIf(key -> key.startsWith(id + "/"));
    }
}
