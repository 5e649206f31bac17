package io.ferry.core.migration;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The journal the engine writes through, which a graceful stop freezes before anything the migrations use goes: the
 * QEMU driver, the lock manager and the host's settings go with the core's own components, and a call still running
 * would take their going for an outcome and record it (ABORTED, FINISHED) where a killed daemon's next start settles
 * the migration from its last step. Frozen, every later step but the two points of no return (a destination's commit,
 * a source's end once its copy is stopped) is refused as unrecorded; reads go on.
 */
final class StoppingJournal implements Journal {
    private final Journal journal;
    private volatile boolean frozen;

    StoppingJournal(Journal journal) {
        this.journal = journal;
    }

    /**
     * From now on nothing but a point of no return is recorded: but for those, the journal stays as a crash at this
     * moment would leave it. Returns whether it was not frozen yet (the launcher's hook and the service's deactivation
     * both freeze it).
     */
    boolean freeze() {
        boolean first = !frozen;
        frozen = true;
        return first;
    }

    /**
     * The points of no return go through, each written only once what it records happened. The destination's commit:
     * refused, its Finish would drop the incoming VM, which under protocol 2 holds the only copy (its source stopped
     * its own at Perform); recorded, the next start resumes the guest there. The source's CONFIRMED, once its copy is
     * stopped on the destination's word of its commit, or by a protocol-2 Perform (or found gone by recovery at
     * PERFORMED, or at a protocol-2 PERFORMING): refused, the migration stays at PERFORMING until the next start's
     * recovery records it (its copy gone), and the driver asking the source's fate meanwhile hears nothing sure.
     */
    @Override
    public void record(Entry entry) throws IOException {
        if (frozen && entry.step() != Step.COMMITTED && entry.step() != Step.CONFIRMED) {
            throw new IOException("ferryd is stopping: step " + entry.step().display() + " of migration " + entry.id()
                    + " is not recorded; the next start settles it from its last record");
        }
        journal.record(entry);
    }

    @Override
    public String identity(String migrationId) {
        return journal.identity(migrationId);
    }

    @Override
    public Optional<Entry> find(String id) throws IOException {
        return journal.find(id);
    }

    @Override
    public boolean lost(String id) {
        return journal.lost(id);
    }

    @Override
    public boolean damaged(String id) {
        return journal.damaged(id);
    }

    @Override
    public List<Entry> unfinished() throws IOException {
        return journal.unfinished();
    }
}
