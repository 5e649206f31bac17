package io.ferry.core.migration;

import io.ferry.core.section.MigrationLog;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Peer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The destination daemon's pulse while a VM sends its memory over a connection of its own (QEMU to QEMU): that
 * connection does not break when the destination daemon dies, so the source asks the daemon about the migration
 * every interval, and cancels the transfer when it stops answering for a few intervals in a row, or answers that
 * it no longer has the migration (it restarted). The guest then goes on here instead of switching over to a
 * destination nobody will finish (libvirt does the same: "Lost connection to destination host").
 */
final class DestinationWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DestinationWatch.class);
    /** Unanswered asks in a row that mean the destination daemon is gone. */
    static final int MISSES = 3;

    private final Thread thread;
    private volatile String lost;

    private DestinationWatch(Peer destination, Outgoing o, long intervalMillis) {
        thread = new Thread(() -> watch(destination, o, intervalMillis),
                "ferry-destination-watch-" + o.id.substring(0, Math.min(8, o.id.length())));
        thread.setDaemon(true);
    }

    static DestinationWatch start(Peer destination, Outgoing o, long intervalMillis) {
        DestinationWatch watch = new DestinationWatch(destination, o, intervalMillis);
        watch.thread.start();
        return watch;
    }

    private void watch(Peer destination, Outgoing o, long intervalMillis) {
        try (var tag = MigrationLog.tag(o.id)) {
            int misses = 0;
            while (true) {
                Thread.sleep(intervalMillis);
                try {
                    destination.endpoint(o.id, o.key());
                    misses = 0;
                } catch (ChannelException e) {
                    misses = e.refused() ? MISSES : misses + 1;
                    if (misses >= MISSES) {
                        lost = e.getMessage();
                        LOG.warn("the destination daemon {} of {} is gone ({}): its transfer is canceled", destination.uri(),
                                o.domain.name(), lost);
                        o.job.abort();
                        return;
                    }
                }
            }
        } catch (InterruptedException e) {
            // the transfer ended
        }
    }

    /** Why the destination was given up, or null while it answers. */
    String lost() {
        return lost;
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
