package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.domain.DomainState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Test;

/**
 * The lock manager switched ({@code lockManager}, {@code --lock-manager}) while this host's domains hold leases of the
 * one before: the state they were held or released with means nothing to the other (the file manager's generations,
 * ZooKeeper's versions), which refused it as if another host had held them since, and every guest re-attached was
 * paused for good. The daemon refuses to start so until they are shut off, or the leases of gone VMs are given back
 * or given up; leases off ({@code none}) is no switch.
 */
public class LockManagerSwitchTest {
    private static final String VM = "vm1";
    private static final String VM2 = "vm2";
    private static final long SILENCE = 9_000; // beyond the driver timeout

    @Test
    public void aDaemonRestartedWithAnotherLockManagerWhileGuestsRunIsRefused() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        String digest2 = d.source.boot(VM2);

        assertEquals("domains vm1, vm2 hold leases of lock manager 'file', not of 'zookeeper': start the daemon with"
                + " --lock-manager file (lockManager) until they are shut off or migrated away", refusedZooKeeper(d));
        d.source.switchLockManager("file", null);
        d.source.restart();
        d.source.assertRuns(VM, digest);
        d.source.assertRuns(VM2, digest2);
    }

    /** A source killed at the switch-over keeps the state its leases were released with: refused the same. */
    @Test
    public void aSourceKilledInAMigrationIsRefusedAnotherLockManagerAndRollsBackWithItsOwn() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.sourceKilledAtTheSwitchOver(VM);

        assertEquals("domain vm1 holds leases of lock manager 'file', not of 'zookeeper': start the daemon with"
                + " --lock-manager file (lockManager) until it is shut off or migrated away", refusedZooKeeper(d));
        d.source.switchLockManager("file", null);
        d.source.restart();
        d.network.passes(SILENCE, d.source, d.destination);
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /**
     * The leases of a gone VM that could not be given back are still this host's, in the manager before: refused, but
     * the domain is shut off already, and under that manager they are given back only once its store answers. The
     * refusal says so, and names the ways out that give them up: a start under leases off, or the debt's record
     * removed.
     */
    @Test
    public void leasesOwedToAStoreGoneForGoodAreGivenUpByAStartWithLeasesOff() throws Exception {
        TwoDaemons d = new TwoDaemons();
        SharedLeases zooKeeper = new SharedLeases();
        d.source.switchLockManager("zookeeper", zooKeeper);
        d.source.restart();
        d.source.boot(VM);
        zooKeeper.releasesFailOn = "source"; // the ensemble is lost
        d.source.domains().destroy(VM);
        d.source.domains().undefine(VM);

        d.source.switchLockManager("file", null);
        String refused = assertThrows(IOException.class, d.source::restart).getMessage();
        Path owed = d.source.stateDir.resolve("leases-owed").resolve(TestHost.uuid(VM) + ".xml");
        assertEquals("the leases of the gone VM of domain vm1 were not given back to lock manager 'zookeeper', and"
                + " 'file' cannot give them back: start the daemon with --lock-manager zookeeper (lockManager) while"
                + " its store answers, so that they are, or give them up (they stay held in that store): start it once"
                + " with --lock-manager none (the log says when they are given up, within a second), or remove the"
                + " record of the debt " + owed, refused);
        assertFalse(refused, refused.contains("until it is shut off"));

        d.source.leasesOff = true;
        d.source.restart();
        d.network.passes(1_000, d.source);
        assertFalse(Files.exists(owed));
        d.source.leasesOff = false;
        d.source.restart();
        d.source.boot(VM);
        assertEquals(DomainState.RUNNING, d.source.domain(VM).orElseThrow().state());
    }

    /** A domain that runs and another that only owes leases: each with its own way out. */
    @Test
    public void aRefusalSaysWhichDomainsRunAndWhichOnlyOwe() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.source.boot(VM2);
        d.leases.releasesFailOn = "source";
        d.source.domains().destroy(VM2);

        assertEquals("domain vm1 holds leases of lock manager 'file', not of 'zookeeper': start the daemon with"
                + " --lock-manager file (lockManager) until it is shut off or migrated away; the leases of the gone VM"
                + " of domain vm2 were not given back to lock manager 'file', and 'zookeeper' cannot give them back:"
                + " start the daemon with --lock-manager file (lockManager) while its store answers, so that they are,"
                + " or give them up (they stay held in that store): start it once with --lock-manager none (the log"
                + " says when they are given up, within a second), or remove the record of the debt "
                + d.source.stateDir.resolve("leases-owed").resolve(TestHost.uuid(VM2) + ".xml"), refusedZooKeeper(d));
    }

    /** A record edited by hand to a name that is no lock manager: the advice to start with it would be refused. */
    @Test
    public void aRecordThatNamesNoLockManagerIsNamedAtFault() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        Path record = d.source.stateDir.resolve("lock-manager");
        Files.writeString(record, "ZooKeeper\n");

        assertEquals("domain vm1 holds leases of the lock manager " + record + " names, 'ZooKeeper', which is not"
                + " one of file, zookeeper, none: write the name of the one it ran under into " + record,
                refusedZooKeeper(d));
    }

    /** Leases off and on again is no switch: the guests hold the leases they held, and run on. */
    @Test
    public void leasesOffAndOnAgainWhileGuestsRunIsAllowed() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);

        d.source.leasesOff = true;
        d.source.restart();
        d.source.assertRuns(VM, digest);
        d.source.leasesOff = false;
        d.source.restart();

        d.source.assertRuns(VM, digest);
    }

    /** With leases off in between, the guests still hold the leases of the manager before: refused all the same. */
    @Test
    public void aSwitchThroughLeasesOffIsRefused() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.source.leasesOff = true;
        d.source.restart();
        d.source.leasesOff = false;

        assertTrue(refusedZooKeeper(d).startsWith("domain vm1 holds leases of lock manager 'file',"));
    }

    /** Once the guests are shut off, the daemon starts with another manager, whose leases its guests then hold. */
    @Test
    public void guestsShutOffLetTheDaemonStartWithAnotherLockManager() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.source.domains().destroy(VM);

        d.source.switchLockManager("zookeeper", new SharedLeases());
        d.source.restart();
        d.source.domains().start(VM);
        assertEquals(DomainState.RUNNING, d.source.domain(VM).orElseThrow().state());

        d.source.switchLockManager("file", null);
        IOException refused = assertThrows(IOException.class, d.source::restart);
        assertTrue(refused.getMessage(), refused.getMessage().startsWith(
                "domain vm1 holds leases of lock manager 'zookeeper', not of 'file':"));
    }

    /** A state directory of an earlier build, which recorded no manager, gets the record at its first start. */
    @Test
    public void aStateDirectoryOfAnEarlierBuildIsRecordedAtItsFirstStart() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        Files.delete(d.source.stateDir.resolve("lock-manager"));
        d.source.restart();

        String refused = refusedZooKeeper(d);
        assertTrue(refused, refused.startsWith("domain vm1 holds leases of lock manager 'file', not of 'zookeeper'"
                + " (recorded unchecked at the first start of a build that records it: if it ran under another before"
                + " that start, write that one's name into " + d.source.stateDir.resolve("lock-manager")
                + " instead):"));
    }

    /**
     * The source's daemon restarted with the ZooKeeper lock manager: another store than the one every host shares,
     * whose versions know nothing of its states. Returns why the start was refused.
     */
    private static String refusedZooKeeper(TwoDaemons d) {
        d.source.switchLockManager("zookeeper", new SharedLeases());
        return assertThrows(IOException.class, d.source::restart).getMessage();
    }
}
