package io.ferry.core.migration;

import io.ferry.api.cookie.SideStream;
import io.ferry.core.section.SectionCalls;
import io.ferry.core.section.SectionHandle;
import io.ferry.protocol.ChannelException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The side streams of migrations: a source section offers a writer while it bakes; the destination's section
 * opens the stream while it eats, and this host fetches it from the source daemon, presenting the migration's
 * key ({@code GET /v1/migration/ID/stream/FEATURE}).
 */
final class SideStreams {
    /** A section's offer: its writer, and the registration whose bake offered it (null if not offered in a call). */
    record Offer(String key, SideStream.Writer writer, SectionHandle by) {
    }

    private final Map<String, Offer> offered = new ConcurrentHashMap<>();
    private final Peers peers;

    SideStreams(Peers peers) {
        this.peers = peers;
    }

    /** The side stream of {@code feature} in migration {@code id}, whose peer daemon is {@code peerUri}. */
    SideStream of(String id, String key, String peerUri, String feature) {
        return new SideStream() {
            @Override
            public void offer(Writer writer) {
                offered.put(id + "/" + feature, new Offer(key, writer, SectionCalls.running().orElse(null)));
            }

            @Override
            public InputStream open() throws IOException {
                if (peerUri == null) {
                    throw new IOException("no peer to fetch the " + feature + " stream of migration " + id + " from");
                }
                try {
                    return peers.peer(peerUri).sideStream(id, key, feature);
                } catch (ChannelException e) {
                    throw new IOException("cannot fetch the " + feature + " stream of migration " + id + " from "
                            + peerUri + ": " + e.getMessage(), e);
                }
            }
        };
    }

    /** What a section offered, if {@code key} is the migration's; null otherwise. */
    Offer offered(String id, String key, String feature) {
        Offer offer = offered.get(id + "/" + feature);
        return offer != null && Migrations.keyMatches(offer.key(), key) ? offer : null;
    }

    void forget(String id) {
        offered.keySet().removeIf(entry -> entry.startsWith(id + "/"));
    }
}
