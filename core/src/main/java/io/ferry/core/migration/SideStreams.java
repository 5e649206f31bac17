package io.ferry.core.migration;

import io.ferry.api.cookie.SideStream;
import io.ferry.core.daemon.LatestIds;
import io.ferry.core.section.MigrationLog;
import io.ferry.core.section.SectionCalls;
import io.ferry.core.section.SectionHandle;
import io.ferry.protocol.ChannelException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The side streams of migrations: a source section offers a writer while it bakes; the destination's section
 * opens the stream while it eats, and this host fetches it from the source daemon, presenting the migration's
 * key ({@code GET /v1/migration/ID/stream/FEATURE}).
 */
final class SideStreams {
    private static final Logger LOG = LoggerFactory.getLogger(SideStreams.class);

    /** A section's offer: its writer, and the registration whose bake offered it (null if not offered in a call). */
    record Offer(String key, SideStream.Writer writer, SectionHandle by) {
    }

    private final Map<String, Offer> offered = new ConcurrentHashMap<>();
    /**
     * The latest migrations whose streams were forgotten: a bake that outlived its time limit (a Begin given up)
     * offers after its migration ended, and its writer (all the domain's snapshots, its bundle's classes) would be
     * kept for good.
     */
    private final LatestIds forgotten = new LatestIds(4096);
    private final Peers peers;

    SideStreams(Peers peers) {
        this.peers = peers;
    }

    /** The side stream of {@code feature} in migration {@code id}, whose peer daemon is {@code peerUri}. */
    SideStream of(String id, String key, String peerUri, String feature) {
        return new SideStream() {
            @Override
            public void offer(Writer writer) {
                if (!keep(id, feature, new Offer(key, writer, SectionCalls.running().orElse(null)))) {
                    try (var tag = MigrationLog.tag(id)) {
                        LOG.warn("cookie section {} offered its stream after migration {} ended (its call outlived its"
                                + " time limit): dropped", feature, id);
                    }
                }
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

    /** Keeps {@code offer} unless its migration's streams were forgotten; atomic with {@link #forget}. */
    private synchronized boolean keep(String id, String feature, Offer offer) {
        if (forgotten.contains(id)) {
            return false;
        }
        offered.put(id + "/" + feature, offer);
        return true;
    }

    /** Whether migration {@code id} ended here and its streams were forgotten (ids are never reused). */
    boolean forgotten(String id) {
        return forgotten.contains(id);
    }

    /** Drops what migration {@code id} offered, and anything it offers later. */
    synchronized void forget(String id) {
        forgotten.add(id);
        offered.keySet().removeIf(entry -> entry.startsWith(id + "/"));
    }
}
