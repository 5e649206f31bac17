package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import io.ferry.core.domain.DomainException;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages;
import io.ferry.protocol.Messages.Finished;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.Test;

/**
 * A transient domain's snapshot metadata goes with it when its VM stops for good (destroyed, ended on its own), as
 * libvirt's qemuDomainRemoveInactive discards it; a persistent domain keeps its snapshots. Left behind, they were the
 * snapshots of the next domain defined here with its UUID: listed, carried by its migrations, their names taken.
 */
public class TransientDomainSnapshotsTest {
    private static final String VM = "vm1";
    private static final List<Snapshot> SNAPSHOTS = List.of(new Snapshot("s1", null, "<domainsnapshot><name>s1</name></domainsnapshot>"));

    @Test
    public void aTransientDomainDestroyedTakesItsSnapshotsWithIt() throws Exception {
        TestHost host = runningWithSnapshots();
        host.domains().undefine(VM); // it runs on, transient, with its snapshots

        assertEquals(SNAPSHOTS, host.snapshots.list(TestHost.uuid(VM)));
        host.domains().destroy(VM);

        assertTrue(host.domain(VM).isEmpty());
        host.domains().define(TestHost.definition(VM));
        assertEquals("the next domain of its name and UUID has no snapshots", List.of(), host.snapshots.list(TestHost.uuid(VM)));
    }

    @Test
    public void aTransientGuestThatEndsOnItsOwnTakesItsSnapshotsWithIt() throws Exception {
        TestHost host = runningWithSnapshots();
        host.domains().undefine(VM);

        host.vm(VM).exitOnItsOwn();
        for (int i = 0; i < 10_000 && host.domain(VM).isPresent(); i++) {
            Thread.sleep(1);
        }

        assertTrue("still listed", host.domain(VM).isEmpty());
        assertEquals(List.of(), host.snapshots.list(TestHost.uuid(VM)));
    }

    /** A guest that arrived without --persistent is transient on its destination: destroyed there, it is gone there. */
    @Test
    public void aTransientArrivalDestroyedOnItsDestinationLeavesNoSnapshotsThere() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.migrate(VM, TwoDaemons.LIVE);
        d.destination.snapshots.domains.put(TestHost.uuid(VM), SNAPSHOTS); // as its migration committed them

        d.destination.domains().destroy(VM);

        assertEquals(List.of(), d.destination.snapshots.list(TestHost.uuid(VM)));
    }

    @Test
    public void aPersistentDomainDestroyedKeepsItsSnapshots() throws Exception {
        TestHost host = runningWithSnapshots();

        host.domains().destroy(VM);

        assertEquals(SNAPSHOTS, host.snapshots.list(TestHost.uuid(VM)));
    }

    /**
     * An arrival with --persistent whose definition could not be stored (it stays staged for the next try) leaves the
     * domain transient until then; destroyed meanwhile, it comes back defined at the next start, its snapshots with it.
     */
    @Test
    public void aDomainWhoseArrivedDefinitionIsStillToBeStoredKeepsItsSnapshots() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        Path inTheWay = Files.createDirectories(d.destination.stateDir.resolve("domains").resolve(VM + ".xml").resolve("x"));
        Finished finished = d.migrate(VM, TwoDaemons.PERSISTENT);
        assertTrue(finished.note(), finished.note().contains("the destination could not store the definition of vm1"));
        d.destination.snapshots.domains.put(TestHost.uuid(VM), SNAPSHOTS);

        d.destination.domains().destroy(VM);
        Files.delete(inTheWay);
        Files.delete(inTheWay.getParent());
        d.destination.restart();
        d.network.passes(1_000, d.destination);

        assertTrue("defined at the next start", d.destination.domain(VM).orElseThrow().persistent() != null);
        assertEquals(SNAPSHOTS, d.destination.snapshots.list(TestHost.uuid(VM)));
    }

    /**
     * A guest arrived without --persistent, its snapshots committed past the commit point but not stored (a full disk:
     * staged for the next start), and its VM ended while the daemon was down. The next start found the domain gone and
     * kept the migration COMMITTED and its snapshots staged for good; once a domain of that name was defined there
     * again, the start after committed them as that domain's (and tried to resume its VM).
     */
    @Test
    public void theSnapshotsOfAnArrivalWhoseTransientGuestEndedBeforeTheNextStartGoWithIt() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.destination.snapshots.failCommit = true;
        Finished arrived = d.migrate(VM, TwoDaemons.LIVE);
        d.destination.snapshots.failCommit = false;

        d.destination.vm(VM).destroy(); // while the daemon is down
        d.destination.restart();
        d.network.passes(1_000, d.destination);

        assertTrue("gone", d.destination.domain(VM).isEmpty());
        assertTrue("still staged", d.destination.snapshots.discarded.contains(arrived.id()));
        assertEquals(Step.FINISHED, d.destination.journal.find(arrived.id()).orElseThrow().step());
        d.destination.domains().define(TestHost.definition(VM));
        d.destination.restart();
        d.network.passes(1_000, d.destination);
        assertFalse("committed as the snapshots of the domain defined since", d.destination.snapshots.committed.contains(arrived.id()));
    }

    /**
     * A power cut emptied the status of a running transient domain: unreadable at the restart, its UUID is unknown, and
     * a domain of another name given that UUID (an arrival, a define) was admitted. Its snapshots, kept by UUID alone,
     * were that domain's: inherited, or removed with it when its arrival aborted.
     */
    @Test
    public void noDomainIsAdmittedWhileAnUnreadableOnesUuidIsUnknown() throws Exception {
        TestHost host = runningWithSnapshots();
        host.domains().undefine(VM);
        Path status = host.stateDir.resolve("status/" + VM + ".xml");
        Files.write(status, new byte[(int) Files.size(status)]); // as a power cut leaves it
        host.restart();
        String another = TestHost.definition(VM).replace("<name>" + VM + "</name>", "<name>vm2</name>");

        DomainException arrival = assertThrows(DomainException.class,
                () -> host.domains().migrating().incoming(host.domains().parse(another)));
        DomainException define = assertThrows(DomainException.class, () -> host.domains().define(another));

        assertTrue(arrival.getMessage(), arrival.getMessage().contains("domain '" + VM + "' is unreadable"));
        assertEquals(arrival.getMessage(), define.getMessage());
        assertTrue("not listed", host.domain("vm2").isEmpty());
        assertEquals("the unreadable domain's", SNAPSHOTS, host.snapshots.list(TestHost.uuid(VM)));
    }

    /** A host running the guest, which has snapshots there. */
    /**
     * A guest arrived without --persistent, its snapshots not stored (a full disk: staged for a later try), and it
     * powers itself off on its destination while the daemon runs: the domain leaves, and the snapshots it staged go
     * with it. Kept, the Begin of the next domain of its name and UUID defined there committed them as that domain's.
     */
    @Test
    public void theUnstoredSnapshotsOfATransientArrivalThatPoweredOffAreNotTheNextDomainsWhenItMigrates() throws Exception {
        TwoDaemons d = new TwoDaemons();
        Finished arrived = arrivedWithItsSnapshotsUnstoredThenPoweredOff(d);

        d.source.domains().undefine(VM);
        d.destination.boot(VM); // another domain of its name and UUID, defined there since
        d.driver().run(d.peer(d.destination), d.peer(d.source),
                new Messages.Migrate(VM, d.source.uri, TwoDaemons.LIVE, null, null, 0));

        assertDiscardedWithTheDomainThatLeft(d, arrived);
    }

    /**
     * The same, the watchdog's look dropping the arrival while the Begin looks at it: the look removed it from those
     * waiting to be stored, and the Begin, finding it gone, took it for one to store. It committed the snapshots as
     * the next domain's, then failed to record FINISHED a second time and was refused, and the arrival, put back, had
     * every look after fail the same (an ERROR line a second until a restart).
     */
    @Test
    public void aBeginThatTheWatchdogBeatToATransientArrivalThatPoweredOffLeavesItToTheWatchdog() throws Exception {
        TwoDaemons d = new TwoDaemons();
        Finished arrived = arrivedWithItsSnapshotsUnstoredThenPoweredOff(d);
        d.source.domains().undefine(VM);
        d.destination.boot(VM); // another domain of its name and UUID, defined there within the same second
        AtomicBoolean looked = new AtomicBoolean();
        d.destination.beforeFind = name -> {
            boolean inTheBegin = StackWalker.getInstance()
                    .walk(frames -> frames.anyMatch(frame -> frame.getMethodName().equals("requireStored")));
            if (inTheBegin && looked.compareAndSet(false, true)) {
                Thread watchdog = new Thread(() -> d.network.passes(0, d.destination), "watchdog");
                watchdog.start();
                try {
                    watchdog.join();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
        };

        d.driver().run(d.peer(d.destination), d.peer(d.source),
                new Messages.Migrate(VM, d.source.uri, TwoDaemons.LIVE, null, null, 0));
        d.destination.beforeFind = null;

        assertTrue("the watchdog looked in the Begin", looked.get());
        assertDiscardedWithTheDomainThatLeft(d, arrived);
        d.destination.snapshots.discarded.clear();
        d.network.passes(1_000, d.destination);
        assertTrue("dropped again at the next look", d.destination.snapshots.discarded.isEmpty());
    }

    /** The same, the domain defined there again and the daemon restarted: its start committed them as that domain's. */
    @Test
    public void theUnstoredSnapshotsOfATransientArrivalThatPoweredOffAreNotTheNextDomainsAfterARestart() throws Exception {
        TwoDaemons d = new TwoDaemons();
        Finished arrived = arrivedWithItsSnapshotsUnstoredThenPoweredOff(d);
        d.network.passes(1_000, d.destination); // the watchdog's look

        d.destination.domains().define(TestHost.definition(VM));
        d.destination.restart();
        d.network.passes(1_000, d.destination);

        assertDiscardedWithTheDomainThatLeft(d, arrived);
    }

    /**
     * A --persistent --undefinesource arrival could store neither its definition nor its snapshots (both stay staged),
     * and its guest, transient until then, was destroyed: the snapshots are kept for the definition to come. The
     * operator defined the domain, its name and UUID, which discards the staged definition; the watchdog's next look
     * took the domain for gone and discarded the snapshots, which its source had forgotten at Confirm: lost on both.
     */
    @Test
    public void aPersistentArrivalsUnstoredSnapshotsAreTheDomainsDefinedAgainUnderItsNameAndUuid() throws Exception {
        TwoDaemons d = new TwoDaemons();
        Finished arrived = arrivedWithNothingStoredThenDestroyed(d);

        d.destination.domains().define(TestHost.definition(VM));
        d.network.passes(1_000, d.destination); // the watchdog's look
        assertFalse("discarded", d.destination.snapshots.discarded.contains(arrived.id()));
        d.destination.domains().start(VM);
        Messages.Migrate onward = new Messages.Migrate(VM, d.source.uri, TwoDaemons.LIVE, null, null, 0);
        ChannelException refused = assertThrows(ChannelException.class,
                () -> d.driver().run(d.peer(d.destination), d.peer(d.source), onward));
        assertTrue(refused.getMessage(), refused.getMessage().contains("cannot migrate domain vm1 before what"
                + " migration " + arrived.id() + " brought here is stored: the snapshots of vm1 arrived but could not"
                + " be committed"));

        d.destination.snapshots.failCommit = false; // room again
        d.driver().run(d.peer(d.destination), d.peer(d.source), onward);

        assertTrue("committed to the domain before it left", d.destination.snapshots.committed.contains(arrived.id()));
        assertEquals(Step.FINISHED, d.destination.journal.find(arrived.id()).orElseThrow().step());
    }

    /** The same, the domain defined under its name with another UUID: another domain, which does not get them. */
    @Test
    public void aPersistentArrivalsUnstoredSnapshotsAreNotThoseOfADomainOfItsNameWithAnotherUuid() throws Exception {
        TwoDaemons d = new TwoDaemons();
        Finished arrived = arrivedWithNothingStoredThenDestroyed(d);

        d.destination.domains().define(TestHost.definition(VM).replace(TestHost.uuid(VM).toString(),
                TestHost.uuid("vm2").toString()));
        d.network.passes(1_000, d.destination); // the watchdog's look
        d.destination.snapshots.failCommit = false;
        d.destination.restart();
        d.network.passes(1_000, d.destination);

        assertDiscardedWithTheDomainThatLeft(d, arrived);
    }

    /**
     * Migrates the guest --persistent --undefinesource to a destination that can store neither its definition nor its
     * snapshots (both stay staged), destroys it there, and makes room for a definition again.
     */
    private static Finished arrivedWithNothingStoredThenDestroyed(TwoDaemons d) throws Exception {
        d.source.boot(VM);
        Path stored = d.destination.stateDir.resolve("domains").resolve(VM + ".xml");
        Path inTheWay = Files.createDirectories(stored.resolve("x"));
        d.destination.snapshots.failCommit = true;
        Finished arrived = d.migrate(VM, TwoDaemons.PERSISTENT_UNDEFINE_SOURCE);
        assertTrue(arrived.note(), arrived.note().contains("the destination could not store the definition of vm1"));
        assertTrue(arrived.note(), arrived.note().contains("the snapshots of vm1 arrived but could not be committed"));
        d.destination.domains().destroy(VM);
        assertTrue("a transient guest destroyed is gone", d.destination.domain(VM).isEmpty());
        Files.delete(inTheWay);
        Files.delete(stored);
        return arrived;
    }

    private static Finished arrivedWithItsSnapshotsUnstoredThenPoweredOff(TwoDaemons d) throws Exception {
        d.source.boot(VM);
        d.destination.snapshots.failCommit = true;
        Finished arrived = d.migrate(VM, TwoDaemons.LIVE);
        assertTrue(arrived.note(), arrived.note().contains("the snapshots of vm1 arrived but could not be committed"));
        d.destination.snapshots.failCommit = false;

        d.destination.vm(VM).shutDownOnItsOwn();
        for (int i = 0; i < 10_000 && d.destination.domain(VM).isPresent(); i++) {
            Thread.sleep(1);
        }
        assertTrue("a transient guest that powered off is gone", d.destination.domain(VM).isEmpty());
        return arrived;
    }

    private static void assertDiscardedWithTheDomainThatLeft(TwoDaemons d, Finished arrived) throws Exception {
        assertFalse("committed as the snapshots of the domain defined since",
                d.destination.snapshots.committed.contains(arrived.id()));
        assertTrue("discarded with the domain that left", d.destination.snapshots.discarded.contains(arrived.id()));
        assertEquals(Step.FINISHED, d.destination.journal.find(arrived.id()).orElseThrow().step());
    }

    private static TestHost runningWithSnapshots() throws Exception {
        TestHost host = new TwoDaemons().source;
        host.boot(VM);
        host.snapshots.domains.put(TestHost.uuid(VM), SNAPSHOTS);
        return host;
    }
}
