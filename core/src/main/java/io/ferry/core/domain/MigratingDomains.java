package io.ferry.core.domain;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.VirtualMachine;
import java.io.IOException;

/**
 * What migrations, and only they, do with this host's domains ({@link DomainManager#migrating}): give a domain to a
 * migration and take it back, admit an arriving domain and record its incoming VM (dropped when its migration aborts),
 * stage, install or discard the definition it brings, drop the definition of one that left, and change a VM's run state
 * in step with {@link DomainManager#suspend}.
 */
public final class MigratingDomains {
    private final DomainEntries entries;
    private final DomainStore store;
    private final DomainDefinitions definitions;
    private final DomainLifecycle lifecycle;
    private final VmExits exits;

    MigratingDomains(DomainEntries entries, DomainStore store, DomainDefinitions definitions, DomainLifecycle lifecycle,
            VmExits exits) {
        this.entries = entries;
        this.store = store;
        this.definitions = definitions;
        this.lifecycle = lifecycle;
        this.exits = exits;
    }

    /** Gives a migration the domain until {@link #release}; refused while another migration has it. Caller holds the job. */
    public void claim(Domain domain, String migrationId) throws DomainException {
        if (domain.migration() != null && !domain.migration().equals(migrationId)) {
            throw new DomainException("Requested operation is not valid: domain " + domain.name()
                    + " is already being migrated (migration " + domain.migration() + ")");
        }
        domain.migration(migrationId);
    }

    public void release(Domain domain, String migrationId) {
        if (migrationId.equals(domain.migration())) {
            domain.migration(null);
        }
        entries.forgetIfGone(domain);
        exits.migrationEnded(domain);
    }

    /**
     * Keeps the persistent definition an incoming migration brings (migrate --persistent, offline migration) aside
     * until it commits: a migration that aborts must leave this host's definitions as they were.
     */
    public void stageIncomingDefinition(String migrationId, DomainSpec spec) throws IOException {
        store.stageDefinition(migrationId, spec.xml());
    }

    /**
     * After the commit: the definition migration {@code migrationId} staged, if any, becomes the domain's persistent
     * one (its entry made if an offline migration's was lost with a restart); one that cannot be read, or is missing
     * when {@code owed}, is replaced by {@code known}, the definition the domain is known by here (null: none, and it
     * stays staged). Caller holds the job, or recovery runs.
     */
    public void installIncomingDefinition(String migrationId, DomainSpec known, boolean owed) throws IOException,
            DomainException {
        definitions.installIncomingDefinition(migrationId, known, owed);
    }

    /** Whether migration {@code migrationId} staged a definition that can be read (and so can be installed). */
    public boolean stagedDefinitionReadable(String migrationId) {
        return definitions.stagedDefinitionReadable(migrationId);
    }

    public void discardIncomingDefinition(String migrationId) throws IOException {
        store.discardStagedDefinition(migrationId);
    }

    /** Removes the persistent definition (migrate --undefinesource). Caller holds the job. */
    public void dropPersistent(Domain domain) throws IOException {
        store.deleteDefinition(domain.name());
        domain.persistent(null);
    }

    /**
     * The domain entry for an incoming domain, created if new; refused if its name or UUID belongs to another (a
     * definition an arrival left staged included).
     */
    public Domain incoming(DomainSpec spec) throws DomainException {
        return definitions.admit(spec);
    }

    /** Records a VM as this domain's active instance, watched for its end. Caller holds the job. */
    public void activate(Domain domain, DomainSpec spec, VirtualMachine vm, DomainState state, DomainState.Reason reason)
            throws IOException {
        lifecycle.activate(domain, spec, vm, state, reason);
    }

    /**
     * Records the VM paused for migration {@code migrationId} away from here (without --live before its memory moves,
     * or at its switch-over), in its status file too, until the domain is recorded otherwise: a restarted daemon tells
     * it by that from an old arrival's incoming VM, which that arrival's recovery drops. Caller holds the job.
     */
    public void pausedFor(Domain domain, String migrationId) throws IOException {
        lifecycle.pausedFor(domain, migrationId);
    }

    /**
     * As {@link DomainManager#deactivate(Domain, DomainState.Reason)}, for the incoming VM of an aborted migration: leases whose
     * release fails stay owed for {@code migration}, whose source waits for the state their release returns.
     */
    public String deactivate(Domain domain, DomainState.Reason reason, String migration) {
        return lifecycle.deactivate(domain, reason, migration);
    }

    /**
     * As {@link DomainManager#deactivate(Domain, DomainState.Reason)}, for the copy of a domain that migrated away:
     * {@code stopped} runs once its VM is destroyed, before its leases and run files go (a file that cannot be removed
     * is logged and left: the guest runs only at the destination all the same); a VM that outlives its kill does not
     * run it. Caller holds the job.
     */
    public void stopMigratedAway(Domain domain, Runnable stopped) {
        lifecycle.deactivate(domain, DomainState.Reason.MIGRATED, null, stopped);
    }

    /**
     * Runs a change of the VM's run state with its record ({@code vm.resume()}, then {@link DomainManager#setState}) as one
     * step for {@link DomainManager#suspend}, which may run without the job while a migration holds it. Caller holds
     * the job, or is such a suspend: its look-up of the migration and its pause run in here (reentrant), one step with
     * the migration's end.
     */
    public <T> T changingRunState(Domain domain, DomainManager.Job<T> change) throws Exception {
        synchronized (domain.runState()) {
            return change.run();
        }
    }
}
