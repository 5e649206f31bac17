package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.snapshot.SnapshotStore;
import io.ferry.core.cookie.TestSections;
import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainException;
import io.ferry.core.domain.DomainState;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.MigrationFlags;
import java.util.List;
import java.util.Optional;
import org.junit.Test;
import org.w3c.dom.Element;

/** An unlucky operator's commands on either host while a migration of the domain is under way. */
public class OperatorRacesTest {
    private static final String VM = "vm1";

    /**
     * A define refused because an offline migration of the domain is arriving must leave the arrival's entry as it
     * was: dropped, the domain vanished from the destination's list, and a second define (here of the same name and
     * another UUID) was accepted mid-migration; the commit could then not install the definition it brought, while
     * its source undefined its own (--undefinesource): the domain was defined on neither host.
     */
    @Test
    public void aDefineRefusedDuringAnOfflineArrivalLeavesItsDomainClaimed() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.domains().define(TestHost.definition(VM));
        TwoDaemons.ByHand run = d.byHand(VM, MigrationFlags.parse("offline,persistent,undefinesource")).prepare();
        String impostor = TestHost.definition(VM).replace(TestHost.uuid(VM).toString(), TestHost.uuid("other").toString());

        DomainException refused = assertThrows(DomainException.class, () -> d.destination.domains().define(TestHost.definition(VM)));
        assertTrue(refused.getMessage(), refused.getMessage().contains("is being migrated"));
        assertEquals(run.begun.id(), d.destination.domain(VM).map(Domain::migration).orElse(null));
        assertThrows(DomainException.class, () -> d.destination.domains().define(impostor));

        run.perform().finish();
        run.confirm(false, null);
        assertEquals(TestHost.uuid(VM), d.destination.domain(VM).orElseThrow().persistent().uuid());
        assertTrue("undefined on the source", d.source.domain(VM).isEmpty());
    }

    /**
     * A guest left paused on its source without its disk leases, because another host held them since (here the
     * destination's operator booted the domain there while the source waited for its word, then destroyed it): its
     * rollback and ferry resume refuse to run it, its memory no longer matching the disks. A migration of it took the
     * leases free at the destination's Finish (its Perform cookie had no state of them) and resumed it there; it now
     * hands on the state they were released with, which the destination's lock manager refuses.
     */
    @Test
    public void aGuestPausedWithoutItsLeasesDoesNotRunAtItsNextDestination() throws Exception {
        TwoDaemons d = new TwoDaemons().carryingLeaseState();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.destination.engine().abortJob(VM);
        d.destination.domains().define(TestHost.definition(VM));
        d.destination.domains().start(VM);
        assertThrows(Exception.class, () -> run.confirm(false, null));
        d.source.assertPaused(VM);
        d.destination.domains().destroy(VM);
        d.destination.domains().undefine(VM);

        ChannelException refused = d.migrationFails(VM);

        assertTrue(refused.getMessage(), refused.getMessage().contains("Failed to acquire lock"));
        d.source.assertPaused(VM);
        d.destination.assertGone(VM);
        assertEquals(null, d.leases.holder("/disks/vm1.img"));
    }

    /** One whose leases were lost to another host when its VM was re-attached has no state to hand on: Begin refuses it. */
    @Test
    public void aGuestWhoseLeasesWereLostAtReattachDoesNotMigrate() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.leases.forgetHolder("/disks/vm1.img");
        d.leases.takenBy("intruder", "/disks/vm1.img").release();
        d.source.restart();
        d.source.assertPaused(VM);

        ChannelException refused = d.migrationFails(VM);

        assertTrue(refused.getMessage(), refused.getMessage().contains("is paused without its disk leases"));
        d.destination.assertGone(VM);
    }

    /**
     * A source killed in Confirm's clean-up, its VM stopped (the destination committed) but CONFIRMED not recorded, and
     * restarted while the destination does not answer: the domain, shut off and claimed by the migration, could be
     * neither started nor undefined, domjobabort said it "stays paused here ... ferry resume runs it here", and ferry
     * resume failed with a NullPointerException's text. Resume now gives the migration up; the guest still runs on one
     * host only, as the start that follows is refused its disk leases, which the destination holds.
     */
    @Test
    public void aSourceWithNoVmLeftGivesItsUnansweredMigrationUpOnResume() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM, MigrationFlags.parse("live,persistent")).prepare().perform();
        run.finish();
        d.source.journal.crashBefore = Step.CONFIRMED;
        assertThrows(Crash.class, () -> run.confirm(false, null));
        d.source.restart();
        d.network.down(d.destination);
        d.source.engine().tick();
        Exception undecided = assertThrows(Exception.class, () -> d.source.engine().abortJob(VM));
        assertTrue(undecided.getMessage(), undecided.getMessage().contains("no VM of it is left here"));

        String done = d.source.engine().resume(VM, false);

        assertTrue(done, done.startsWith("Migration " + run.begun.id() + " of vm1 given up: vm1 has no VM here to resume"));
        DomainException start = assertThrows(DomainException.class, () -> d.source.domains().start(VM));
        assertTrue(start.getMessage(), start.getMessage().startsWith("Failed to acquire lock"));
        d.source.assertGone(VM);
        d.destination.assertRuns(VM, digest);
    }

    /**
     * A source restarted at PERFORMED whose lock manager comes late: recovery claims the domain at once (every command
     * says it is being migrated) but takes the migration in hand only with the lock manager; domjobabort meanwhile said
     * "no job is active on the domain". It now says which migration holds the domain and what it waits for.
     */
    @Test
    public void domjobabortBeforeRecoveryTookAMigrationInHandSaysWhatHoldsTheDomain() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.source.lockManagerLate = true;
        d.source.restart();
        d.source.engine().tick();

        Exception e = assertThrows(MigrationException.class, () -> d.source.engine().abortJob(VM));

        assertTrue(e.getMessage(), e.getMessage().startsWith("Requested operation is not valid: migration " + run.begun.id()
                + " of vm1 is taken in hand again after the daemon's restart"));
        d.source.assertPaused(VM);
    }

    /**
     * A guest its operator suspended before migrating it, whose destination's Finish took its leases and then failed (its
     * commit record could not be written), is rolled back paused (user) with its leases given back. It kept the state the
     * switch-over released, which the destination's take and release had made stale: ferry resume was refused for good
     * ("its copy here must not run: destroy it"), though no other host had held them. It keeps the destination's now.
     */
    @Test
    public void aSuspendedGuestWhoseDestinationTookItsLeasesAtFinishResumesAfterTheRollback() throws Exception {
        TwoDaemons d = new TwoDaemons().carryingLeaseState();
        String digest = d.source.boot(VM);
        d.source.engine().suspend(VM, null);
        d.destination.journal.failAt = Step.COMMITTED;
        d.migrationFails(VM);
        assertEquals(DomainState.Reason.USER, d.source.domain(VM).orElseThrow().reason());

        assertEquals("Domain 'vm1' resumed", d.source.engine().resume(VM, false));

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /**
     * A domain that left its source for good (--undefinesource, or a transient one) leaves no snapshots there: they
     * went with it. Left behind, they were those of the next domain given its UUID on the source, and, once the domain
     * was given another snapshot of one of their names on the destination (its snapshots undefined with it and made
     * anew), they refused its every migration back ("… is not the snapshot 's1' this host has of the domain").
     */
    @Test
    public void aDomainUndefinedOnItsSourceByItsMigrationLeavesNoSnapshotsThere() throws Exception {
        TwoDaemons d = new TwoDaemons();
        carrySnapshots(d);
        String digest = d.source.boot(VM);
        snapshotOnTheSource(d);

        d.migrate(VM, MigrationFlags.parse("live,persistent,undefinesource"));

        d.destination.assertRuns(VM, digest);
        assertTrue("undefined on the source", d.source.domain(VM).isEmpty());
        assertEquals(List.of(), d.source.snapshots.list(TestHost.uuid(VM)));
    }

    /** Without --undefinesource the source keeps the domain's definition, and its snapshots with it, as libvirt. */
    @Test
    public void aDomainStillDefinedOnItsSourceKeepsItsSnapshotsThere() throws Exception {
        TwoDaemons d = new TwoDaemons();
        carrySnapshots(d);
        d.source.boot(VM);
        List<SnapshotStore.Snapshot> snapshots = snapshotOnTheSource(d);

        d.migrate(VM, MigrationFlags.parse("live,persistent"));

        assertEquals(snapshots, d.source.snapshots.list(TestHost.uuid(VM)));
    }

    /**
     * An offline migration leaves the guest running on its source: undefined there by --undefinesource, it runs on
     * transient, with its snapshots, as libvirt keeps a domain's snapshots while it is active.
     */
    @Test
    public void aGuestRunningOnAfterItsOfflineMigrationKeepsItsSnapshots() throws Exception {
        TwoDaemons d = new TwoDaemons();
        carrySnapshots(d);
        d.source.boot(VM);
        List<SnapshotStore.Snapshot> snapshots = snapshotOnTheSource(d);

        d.migrate(VM, MigrationFlags.parse("offline,persistent,undefinesource"));

        assertTrue("runs on, transient", d.source.domain(VM).orElseThrow().isActive()
                && d.source.domain(VM).orElseThrow().persistent() == null);
        assertEquals(snapshots, d.source.snapshots.list(TestHost.uuid(VM)));
    }

    /** Both hosts have a section of the feature that carries snapshots (it bakes nothing here: the fakes stage none). */
    /** The domain has one snapshot on the source, s1. */
    private static List<SnapshotStore.Snapshot> snapshotOnTheSource(TwoDaemons d) {
        List<SnapshotStore.Snapshot> snapshots = List.of(new SnapshotStore.Snapshot("s1", null,
                "<domainsnapshot><name>s1</name></domainsnapshot>"));
        d.source.snapshots.domains.put(TestHost.uuid(VM), snapshots);
        return snapshots;
    }

    private static void carrySnapshots(TwoDaemons d) {
        CookieSection<String> none = new CookieSection<>() {
            @Override
            public String parse(Element fragment) {
                return "";
            }

            @Override
            public void format(String value, Element fragment) {
            }

            @Override
            public Optional<String> bake(SectionContext context) {
                return Optional.empty();
            }

            @Override
            public void eat(SectionContext context, String value) {
            }
        };
        for (TestHost host : List.of(d.source, d.destination)) {
            host.extraSections.add(TestSections.handle(none, "snapshots", "snapshots", Mandatory.NEVER, List.of(), List.of()));
        }
    }
}
