package io.ferry.core.domain;

import io.ferry.core.daemon.AtomicFiles;
import io.ferry.settings.FerrydSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code STATE/lock-manager}: the lock manager whose leases this host's domains hold, the one the daemon last started
 * with (leases off aside). The state a domain's leases were held or released with is the manager's own (the file
 * manager's random generations, ZooKeeper's versions) and says nothing to another, which refuses it as if another host
 * had held them since: every guest re-attached would be paused for good. So the daemon does not start with another
 * manager while a domain is active here or owes leases. Leases off ({@code none}) takes and refuses nothing, and leaves
 * the record as it is: the guests still hold the leases of the manager before. It drops the debts, though: what a
 * store gone for good still holds for gone VMs, which the manager before would give back only once it answers.
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
        SortedSet<String> active = new TreeSet<>();
        store.statuses().forEach(status -> active.add(status.name()));
        SortedMap<String, SortedSet<Path>> owingOnly = new TreeMap<>(leases.owingDomains());
        owingOnly.keySet().removeAll(active);
        boolean held = !active.isEmpty() || !owingOnly.isEmpty();
        if (recorded != null && !recorded.equals(NONE) && held) {
            throw new IOException(refusal(record, recorded, lines.contains(UNCHECKED), configured, active, owingOnly));
        }
        if (recorded != null) {
            LOG.info("lock manager '{}' in place of '{}': no domain holds leases of that one", configured, recorded);
        }
        // an earlier build's state directory: its domains' leases are taken to be the configured manager's, unchecked
        String text = configured + "\n" + (recorded == null && held ? UNCHECKED + "\n" : "");
        AtomicFiles.write(record, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Why the daemon does not start with {@code configured}: the active domains are shut off or migrated away under
     * the manager before; the leases of those that only owe them (their VMs gone, maybe undefined since) are given
     * back once its store answers, or given up, where it never will.
     *
     * @param owingOnly the domains that only owe leases, with the records of their debts
     */
    private static String refusal(Path record, String recorded, boolean unchecked, String configured,
            SortedSet<String> active, SortedMap<String, SortedSet<Path>> owingOnly) {
        SortedSet<String> all = new TreeSet<>(active);
        all.addAll(owingOnly.keySet());
        boolean one = all.size() == 1;
        try {
            FerrydSettings.LOCK_MANAGER.check().parse(recorded);
        } catch (IllegalArgumentException e) { // edited by hand: the advice to start with it would be refused
            return domains(all) + (one ? " holds" : " hold") + " leases of the lock manager " + record + " names, '"
                    + recorded + "', which " + e.getMessage() + ": write the name of the one " + (one ? "it" : "they")
                    + " ran under into " + record;
        }
        String note = unchecked ? " (recorded unchecked at the first start of a build that records it: if " + (one
                ? "it" : "they") + " ran under another before that start, write that one's name into " + record
                + " instead)" : "";
        List<String> refusals = new ArrayList<>();
        if (!active.isEmpty()) {
            boolean oneActive = active.size() == 1;
            refusals.add(domains(active) + (oneActive ? " holds" : " hold") + " leases of lock manager '" + recorded
                    + "', not of '" + configured + "'" + note + ": start the daemon with --lock-manager " + recorded
                    + " (lockManager) until " + (oneActive ? "it is" : "they are") + " shut off or migrated away");
            note = "";
        }
        if (!owingOnly.isEmpty()) {
            List<String> debts = owingOnly.values().stream().flatMap(SortedSet::stream).map(Path::toString).toList();
            boolean oneDebt = debts.size() == 1;
            refusals.add("the leases of the gone " + (oneDebt ? "VM" : "VMs") + " of " + domains(owingOnly.keySet())
                    + " were not given back to lock manager '" + recorded + "', and '" + configured + "' cannot give"
                    + " them back" + note + ": start the daemon with --lock-manager " + recorded + " (lockManager)"
                    + " while its store answers, so that they are, or give them up (they stay held in that store):"
                    + " start it once with --lock-manager " + NONE + " (the log says when they are given up, within a"
                    + " second), or remove the " + (oneDebt ? "record of the debt " : "records of the debts ")
                    + String.join(", ", debts));
        }
        return String.join("; ", refusals);
    }

    private static String domains(Set<String> names) {
        return (names.size() == 1 ? "domain " : "domains ") + String.join(", ", names);
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
