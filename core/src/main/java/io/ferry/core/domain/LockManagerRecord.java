package io.ferry.core.domain;

import io.ferry.core.daemon.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SortedSet;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code STATE/lock-manager}: the lock manager whose leases this host's domains hold, the one the daemon last started
 * with (leases off aside). The state a domain's leases were held or released with is the manager's own (the file
 * manager's random generations, ZooKeeper's versions) and says nothing to another, which refuses it as if another host
 * had held them since: every guest re-attached would be paused for good. So the daemon does not start with another
 * manager while a domain is active here or owes leases. Leases off ({@code none}) takes and refuses nothing, and leaves
 * the record as it is: the guests still hold the leases of the manager before.
 */
final class LockManagerRecord {
    private static final Logger LOG = LoggerFactory.getLogger(LockManagerRecord.class);
    private static final String RECORD = "lock-manager";
    private static final String NONE = "none";

    private LockManagerRecord() {
    }

    /**
     * Records {@code configured} as the manager the domains hold leases of. A state directory of an earlier build has
     * no record: its domains are taken to hold leases of the configured manager.
     *
     * @throws IOException naming the domains that may hold leases here, before any is re-attached (every active one,
     *         its status readable or not, and those whose gone VMs owe theirs), when they hold another manager's
     */
    static void require(Path stateDir, String configured, DomainStore store, Leases leases) throws IOException {
        if (configured.equals(NONE)) {
            return;
        }
        Path record = stateDir.resolve(RECORD);
        String recorded = recorded(record);
        if (configured.equals(recorded)) {
            return;
        }
        if (recorded != null && !recorded.equals(NONE)) {
            SortedSet<String> holders = new TreeSet<>(leases.owingDomains());
            store.statuses().forEach(status -> holders.add(status.name()));
            if (!holders.isEmpty()) {
                String names = String.join(", ", holders);
                boolean one = holders.size() == 1;
                throw new IOException((one ? "domain " + names + " holds" : "domains " + names + " hold") + " leases of"
                        + " lock manager '" + recorded + "', not of '" + configured + "': start the daemon with"
                        + " --lock-manager " + recorded + " (lockManager) until " + (one ? "it is" : "they are")
                        + " shut off or migrated away");
            }
            LOG.info("lock manager '{}' in place of '{}': no domain holds leases of that one", configured, recorded);
        }
        AtomicFiles.write(record, (configured + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** The manager {@code record} names, or null when there is none (an earlier build's state directory). */
    private static String recorded(Path record) throws IOException {
        try {
            String name = Files.exists(record) ? Files.readString(record, StandardCharsets.UTF_8).trim() : "";
            return name.isEmpty() ? null : name;
        } catch (IOException e) {
            throw new IOException("cannot read the lock manager record " + record + ": " + AtomicFiles.reason(e), e);
        }
    }
}
