package io.ferry.core.migration;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log of the connections a migration's data port dropped without the token. Anyone who reaches the port may
 * connect and hang up at will: a warning each buried the migration's own lines (journald limits a service's rate,
 * and drops the rest). The first is logged with its address and why; the rest are counted and summed up, with the
 * hosts they came from, at most once a {@link #SUMMARY_MILLIS} and when the wait ends.
 */
final class DataPortRefusals {
    private static final Logger LOG = LoggerFactory.getLogger(DataPortRefusals.class);
    static final long SUMMARY_MILLIS = 60_000;
    /** How many hosts a summary names. */
    private static final int HOSTS_NAMED = 5;

    private final String migrationId;
    private boolean first = true; // guarded by this
    private int unlogged; // guarded by this
    private final Set<String> hosts = new LinkedHashSet<>(); // guarded by this: of the unlogged, the first few
    private boolean moreHosts; // guarded by this
    private long lastLogged; // guarded by this: System.nanoTime

    DataPortRefusals(String migrationId) {
        this.migrationId = migrationId;
    }

    /** A connection from {@code address} was dropped for {@code reason}. */
    synchronized void dropped(SocketAddress address, String reason) {
        if (first) {
            first = false;
            lastLogged = System.nanoTime();
            LOG.warn("migration {}: dropped a connection to its data port from {}: {} (any more are summed up)",
                    migrationId, address, reason);
            return;
        }
        unlogged++;
        String host = address instanceof InetSocketAddress inet ? inet.getHostString() : String.valueOf(address);
        if (hosts.size() < HOSTS_NAMED || hosts.contains(host)) {
            hosts.add(host);
        } else {
            moreHosts = true;
        }
        if (System.nanoTime() - lastLogged >= TimeUnit.MILLISECONDS.toNanos(SUMMARY_MILLIS)) {
            summarize();
        }
    }

    /** The wait ended: sums up what is not logged yet. */
    synchronized void summarize() {
        if (unlogged == 0) {
            return;
        }
        LOG.warn("migration {}: {} more connections to its data port were dropped without presenting its token, from"
                + " {}{}", migrationId, unlogged, String.join(", ", hosts), moreHosts ? " and other hosts" : "");
        unlogged = 0;
        hosts.clear();
        moreHosts = false;
        lastLogged = System.nanoTime();
    }
}
