package io.ferry.core.domain;

import io.ferry.core.daemon.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
    /** The record's second line where an earlier build's state directory was recorded with domains in it. */
    private static final String UNCHECKED = "unchecked";

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
        List<String> lines = recorded(record);
        String recorded = lines.isEmpty() ? null : lines.get(0);
        if (configured.equals(recorded)) {
            return;
        }
        SortedSet<String> holders = new TreeSet<>(leases.owingDomains());
        store.statuses().forEach(status -> holders.add(status.name()));
        if (recorded != null && !recorded.equals(NONE) && !holders.isEmpty()) {
            String names = String.join(", ", holders);
            boolean one = holders.size() == 1;
            String unchecked = lines.contains(UNCHECKED) ? " (recorded unchecked at the first start of a build that"
                    + " records it: if " + (one ? "it" : "they") + " ran under another before that start, write that"
                    + " one's name into " + record + " instead)" : "";
            throw new IOException((one ? "domain " + names + " holds" : "domains " + names + " hold") + " leases of"
                    + " lock manager '" + recorded + "', not of '" + configured + "'" + unchecked + ": start the daemon"
                    + " with --lock-manager " + recorded + " (lockManager) until " + (one ? "it is" : "they are")
                    + " shut off or migrated away");
        }
        if (recorded != null) {
            LOG.info("lock manager '{}' in place of '{}': no domain holds leases of that one", configured, recorded);
        }
        // an earlier build's state directory: its domains' leases are taken to be the configured manager's, unchecked
        String text = configured + "\n" + (recorded == null && !holders.isEmpty() ? UNCHECKED + "\n" : "");
        AtomicFiles.write(record, text.getBytes(StandardCharsets.UTF_8));
    }

    /** The lines of {@code record}, the manager's name first; none when there is none (an earlier build's). */
    private static List<String> recorded(Path record) throws IOException {
        try {
            String text = Files.exists(record) ? Files.readString(record, StandardCharsets.UTF_8).trim() : "";
            return text.isEmpty() ? List.of() : text.lines().map(String::trim).toList();
        } catch (IOException e) {
            throw new IOException("cannot read the lock manager record " + record + ": " + AtomicFiles.reason(e), e);
        }
    }
}
