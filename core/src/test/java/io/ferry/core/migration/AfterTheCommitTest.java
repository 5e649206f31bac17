package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import io.ferry.core.domain.DomainException;
import io.ferry.core.domain.DomainState;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.MigrationFlags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Test;

/**
 * What the destination stores after the commit point (the definition, the snapshots) when it cannot store it:
 * the domain runs there all the same, the driver is told, and nothing it brought is lost; it is stored at the
 * next start of the daemon.
 */
public class AfterTheCommitTest {
    private static final String VM = "vm1";
    private static final MigrationFlags OFFLINE = new MigrationFlags(false, false, false, true, true, false, false);

    @Test
    public void snapshotsThatCannotBeCommittedAreNamedInFinishAndCommittedAtTheNextStart() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        Finished finished = migrateWithSnapshotsThatCannotBeCommitted(d);

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
        assertNotNull("Finish said nothing of the snapshots", finished.note());
        assertTrue(finished.note(), finished.note().contains("the snapshots of vm1 arrived but could not be committed"
                + " (No space left on device): they stay staged there and are committed again when the daemon restarts"));
        assertFalse(d.destination.snapshots.discarded.contains(finished.id()));

        d.destination.snapshots.failCommit = false;
        d.destination.restart();
        d.network.passes(1_000, d.destination);

        assertTrue("the staged snapshots were not committed at the next start",
                d.destination.snapshots.committed.contains(finished.id()));
        assertEquals(Step.FINISHED, d.destination.journal.find(finished.id()).orElseThrow().step());
        d.destination.assertRuns(VM, digest);
    }

    /**
     * A guest whose arrived snapshots could not be committed migrates on before the daemon restarts: its Begin stores
     * them first, and is refused while it cannot; else they stayed behind, staged on a host the guest left, missing
     * from the hierarchy it takes along (and committed there at the next start, for a guest long gone).
     */
    @Test
    public void aGuestMigratesOnOnlyOnceTheSnapshotsItsArrivalLeftStagedAreCommitted() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        Finished arrived = migrateWithSnapshotsThatCannotBeCommitted(d);
        Messages.Migrate back = new Messages.Migrate(VM, d.source.uri, TwoDaemons.LIVE, null, null, 0);

        ChannelException refused = assertThrows(ChannelException.class,
                () -> d.driver().run(d.peer(d.destination), d.peer(d.source), back));
        assertTrue(refused.getMessage(), refused.getMessage().contains("cannot migrate domain vm1 before what"
                + " migration " + arrived.id() + " brought here is stored: the snapshots of vm1 arrived but could not"
                + " be committed (No space left on device)"));
        d.destination.assertRuns(VM, digest);

        d.destination.snapshots.failCommit = false; // room again
        d.driver().run(d.peer(d.destination), d.peer(d.source), back);

        assertTrue("the guest migrated on without the snapshots its arrival left staged",
                d.destination.snapshots.committed.contains(arrived.id()));
        assertEquals(Step.FINISHED, d.destination.journal.find(arrived.id()).orElseThrow().step());
        d.source.assertRuns(VM, digest);
    }

    /**
     * The arrival's FINISHED record could not be written (a full disk), so the journal kept it COMMITTED; the guest
     * migrates on, and this daemon restarts once that migration committed at its destination, before Confirm.
     * Recovery took the old arrival for the one that owns the domain: it repeated its post-commit steps and resumed
     * the guest here, paused by the migration under way, which it never settled: the guest ran on both hosts.
     */
    @Test
    public void anArrivalThatCouldNotRecordItsEndIsRecordedBeforeTheGuestMigratesOn() throws Exception {
        TwoDaemons d = new TwoDaemons(false); // no leases: nothing else would stop a second copy
        String digest = d.source.boot(VM);
        d.destination.journal.failAt = Step.FINISHED;
        d.migrate(VM);
        d.destination.journal.failAt = null; // room again

        Messages.Begun back = d.peer(d.destination).begin(new Messages.Begin(VM, TwoDaemons.LIVE, null, null, 0));
        Messages.Prepared prepared = d.peer(d.source).prepare(new Messages.Prepare(back.id(), back.key(), TwoDaemons.LIVE,
                back.domainXml(), back.cookie(), back.sections(), d.destination.uri));
        Messages.Performed performed = d.peer(d.destination).perform(new Messages.Perform(back.id(), back.key(),
                prepared.dataUri(), prepared.cookie(), d.source.uri, prepared.sections()));
        d.source.awaitMemoryEnded(back.id());
        d.peer(d.source).finish(new Messages.Finish(back.id(), back.key(), false, performed.cookie()));
        d.destination.restart();
        d.network.passes(1_000, d.destination);
        d.network.passes(9_000, d.destination); // beyond the driver timeout: the watchdog settles it

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /**
     * A guest paused since it arrived (a restarted daemon pauses one whose leases it cannot take back) is not
     * resumed by the next start's post-commit steps.
     */
    @Test
    public void theNextStartDoesNotResumeAGuestPausedSince() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        Finished finished = migrateWithSnapshotsThatCannotBeCommitted(d);
        var arrived = d.destination.domain(VM).orElseThrow();
        arrived.vm().pause();
        d.destination.domains().setState(arrived, DomainState.PAUSED, DomainState.Reason.USER);

        d.destination.snapshots.failCommit = false;
        d.destination.restart();
        d.network.passes(1_000, d.destination);

        assertEquals(Step.FINISHED, d.destination.journal.find(finished.id()).orElseThrow().step());
        assertEquals(DomainState.PAUSED, d.destination.domain(VM).orElseThrow().state());
    }

    /**
     * Offline, the destination killed right after the commit, its staged definition unreadable at the next start:
     * the domain cannot be defined, and the definition stays staged for a start that can read it, where it was
     * deleted (an offline migration with --undefinesource had then lost the domain's only definition).
     */
    @Test
    public void aCommittedDefinitionThatCannotBeInstalledAtTheNextStartStaysStaged() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.domains().define(TestHost.definition(VM));
        TwoDaemons.ByHand run = d.byHand(VM, OFFLINE).prepare().perform();
        d.destination.journal.crashAfter = Step.COMMITTED;
        assertThrows(Crash.class, run::finish);
        Path staged = d.destination.stateDir.resolve("incoming").resolve(run.begun.id() + ".xml");
        byte[] definition = Files.readAllBytes(staged);
        Files.writeString(staged, "<domain"); // cut short

        d.destination.restart();
        d.network.passes(1_000, d.destination);

        assertTrue("vm1 was defined from an unreadable definition", d.destination.domain(VM).isEmpty());
        assertTrue("the committed definition was deleted", Files.exists(staged));
        assertFalse(d.destination.snapshots.discarded.contains(run.begun.id()));

        Files.write(staged, definition); // the operator mended it
        d.destination.restart();
        d.network.passes(1_000, d.destination);

        assertEquals(VM, d.destination.domain(VM).orElseThrow().persistent().name());
        assertEquals(Step.FINISHED, d.destination.journal.find(run.begun.id()).orElseThrow().step());
    }

    /**
     * The arrival's definition could not be stored (its rename into place failed, as on a full disk), so it stayed
     * staged; the operator then defined the domain anew. The next start installed the staged definition over the
     * operator's, which was lost.
     */
    @Test
    public void aDefinitionTheOperatorStoresSinceIsNotReplacedByTheOneTheArrivalLeftStaged() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        Path stored = d.destination.stateDir.resolve("domains").resolve(VM + ".xml");
        Path inTheWay = Files.createDirectories(stored.resolve("in-the-way"));
        Finished finished = d.migrate(VM, TwoDaemons.PERSISTENT);
        assertNotNull("Finish said nothing of the definition", finished.note());
        assertTrue(finished.note(), finished.note().contains("the destination could not store the definition of vm1"));
        // marked defined before the rename (a settle meanwhile must see one or the other), and unmarked when it failed
        assertNull("vm1 defined by a definition not stored", d.destination.domain(VM).orElseThrow().persistent());
        Files.delete(inTheWay);
        Files.delete(stored);

        d.destination.domains().define(TestHost.definition(VM).replace("<vcpu>1</vcpu>", "<vcpu>2</vcpu>"));
        d.destination.restart();
        d.network.passes(1_000, d.destination);

        assertEquals("the operator's definition", 2, d.destination.domain(VM).orElseThrow().persistent().vcpus());
        d.destination.restart();
        assertEquals("the operator's definition, stored", 2, d.destination.domain(VM).orElseThrow().persistent().vcpus());
        assertEquals(Step.FINISHED, d.destination.journal.find(finished.id()).orElseThrow().step());
        d.destination.assertRuns(VM, digest);
    }

    /**
     * The arrival's definition could not be stored (it stays staged, for the next try), and its transient guest was
     * destroyed since; the guest comes back under another name (--dname): refused, the staged definition naming its
     * UUID for the old name. The entry its Prepare admitted for the new name stayed, listed shut off and holding the
     * UUID: every later arrival of the guest was refused until ferryd restarted.
     */
    @Test
    public void anArrivalRefusedUnderAnotherNameLeavesNoEntryBehind() throws Exception {
        TwoDaemons d = new TwoDaemons();
        Finished arrived = arrivedWithItsDefinitionStagedThenDestroyed(d, List.of());
        String digest = d.source.boot(VM);
        Messages.Migrate renamed = new Messages.Migrate(VM, d.destination.uri, TwoDaemons.LIVE, "vm2", null, 0);

        ChannelException refused = assertThrows(ChannelException.class,
                () -> d.driver().run(d.peer(d.source), d.peer(d.destination), renamed));
        assertTrue(refused.getMessage(), refused.getMessage().contains("domain 'vm2' cannot be given UUID "
                + TestHost.uuid(VM) + ": the definition of 'vm1' that migration " + arrived.id()
                + " brought is staged"));
        assertTrue("the refused arrival left an entry of vm2", d.destination.domain("vm2").isEmpty());
        d.source.assertRuns(VM, digest);

        d.migrate(VM);
        d.destination.assertRuns(VM, digest);
        assertEquals("the staged definition, installed", VM,
                d.destination.domain(VM).orElseThrow().persistent().name());
        assertEquals(Step.FINISHED, d.destination.journal.find(arrived.id()).orElseThrow().step());
    }

    /**
     * The arrival's definition could not be stored (it stays staged, for the next try), and its transient guest was
     * destroyed since, its snapshots kept for it; the operator then defined another domain with its UUID. No entry
     * held the UUID, so the define was let through: the new domain had the old one's snapshots, the staged definition
     * could never be installed (its UUID taken) and every migration of the new domain was refused for it.
     */
    @Test
    public void aDefineCannotTakeTheUuidOfADefinitionStillToBeInstalled() throws Exception {
        TwoDaemons d = new TwoDaemons();
        List<Snapshot> snapshots = List.of(new Snapshot("s1", null,
                "<domainsnapshot><name>s1</name></domainsnapshot>"));
        Finished arrived = arrivedWithItsDefinitionStagedThenDestroyed(d, snapshots);

        String sameUuid = TestHost.definition("vm2").replace(TestHost.uuid("vm2").toString(),
                TestHost.uuid(VM).toString());
        DomainException refused = assertThrows(DomainException.class, () -> d.destination.domains().define(sameUuid));
        assertTrue(refused.getMessage(), refused.getMessage().contains("domain 'vm2' cannot be given UUID "
                + TestHost.uuid(VM) + ": the definition of 'vm1' that migration " + arrived.id()
                + " brought is staged"));
        assertTrue("the refused define left an entry of vm2", d.destination.domain("vm2").isEmpty());

        d.destination.restart();
        d.network.passes(1_000, d.destination);
        assertEquals("the staged definition, installed", VM,
                d.destination.domain(VM).orElseThrow().persistent().name());
        assertEquals("vm1's snapshots", snapshots, d.destination.snapshots.list(TestHost.uuid(VM)));
        assertEquals(Step.FINISHED, d.destination.journal.find(arrived.id()).orElseThrow().step());
    }

    /**
     * A domain that holds the UUID of a staged definition already (an earlier build let its define through) is
     * redefined: its entry holds the UUID, and refusing it protects nothing.
     */
    @Test
    public void aDomainHoldingAStagedDefinitionsUuidAlreadyIsRedefined() throws Exception {
        TwoDaemons d = new TwoDaemons();
        arrivedWithItsDefinitionStagedThenDestroyed(d, List.of());
        String sameUuid = TestHost.definition("vm2").replace(TestHost.uuid("vm2").toString(),
                TestHost.uuid(VM).toString());
        Files.writeString(d.destination.stateDir.resolve("domains").resolve("vm2.xml"), sameUuid);
        d.destination.restart();

        d.destination.domains().define(sameUuid.replace("</domain>", "<description>again</description></domain>"));
        assertTrue(d.destination.domain("vm2").orElseThrow().persistent().xml().contains("again"));
    }

    /**
     * Migrates the guest --persistent to a destination that cannot store its definition (it stays staged), then
     * destroys it there, {@code snapshots} kept for it, and makes room again.
     */
    private static Finished arrivedWithItsDefinitionStagedThenDestroyed(TwoDaemons d, List<Snapshot> snapshots)
            throws Exception {
        d.source.boot(VM);
        Path stored = d.destination.stateDir.resolve("domains").resolve(VM + ".xml");
        Path inTheWay = Files.createDirectories(stored.resolve("x"));
        Finished arrived = d.migrate(VM, TwoDaemons.PERSISTENT);
        assertTrue(arrived.note(), arrived.note().contains("the destination could not store the definition of vm1"));
        d.destination.snapshots.domains.put(TestHost.uuid(VM), snapshots);
        d.destination.domains().destroy(VM);
        Files.delete(inTheWay);
        Files.delete(stored); // room again
        return arrived;
    }

    /** Migrates the guest to a destination whose snapshot commit fails like a full disk. */
    private static Finished migrateWithSnapshotsThatCannotBeCommitted(TwoDaemons d) throws Exception {
        d.destination.snapshots.failCommit = true;
        return d.migrate(VM);
    }
}
