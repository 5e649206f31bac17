package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.lock.LeaseRequest;
import io.ferry.core.TestDirectories;
import io.ferry.core.domain.DomainState;
import io.ferry.protocol.ChannelException;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.Test;

/** A rolled back guest whose leases the embedded lock manager keeps (the default), its source daemon killed. */
public class FileLeaseRollbackTest {
    private static final String VM = "vm1";
    private static final long SILENCE = 9_000; // beyond the driver timeout

    /**
     * Finish fails after the switch-over, and the source's daemon is killed -9 as its rollback resumes the guest: the
     * lease files say this host's, one past the state the rollback presented, and its status still says paused with
     * that state. Restarted, the rollback presents it again, and the lease manager knows the take it repeats: the guest
     * runs. The take was refused as another host's use ("changed since it was released"), the guest paused for good.
     */
    @Test
    public void aSourceKilledBetweenTakingItsLeasesBackAndResumingResumesAfterItsRestart() throws Exception {
        Path leases = TestDirectories.create("ferry-domain-leases");
        TwoDaemons d = TwoDaemons.withFileLeases(leases);
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.destination.journal.failAt = Step.COMMITTED;
        assertThrows(ChannelException.class, run::finish);
        d.source.vm(VM).beforeResume = () -> {
            throw new Crash();
        };
        assertThrows(Crash.class, () -> run.confirm(true, null));
        d.source.assertPaused(VM);

        d.source.lockManagerLate = true;
        d.source.restart();
        d.source.domains().addLockManager("file", () -> TwoDaemons.fileLockManager(leases));
        d.network.passes(SILENCE, d.source, d.destination); // the record taken in hand: a driver may still claim it
        d.network.passes(SILENCE, d.source, d.destination); // none did: the destination, asked, says aborted

        assertEquals(DomainState.RUNNING, d.source.domain(VM).orElseThrow().state());
        assertTrue("its VM runs", d.source.vm(VM).isRunning());
        assertEquals(digest, d.source.digest(VM));
        LeaseRequest elsewhere = new LeaseRequest(VM, TestHost.uuid(VM), List.of("/disks/" + VM + ".img"),
                "destination", UUID.randomUUID());
        String holder = TwoDaemons.fileLockManager(leases).heldElsewhere(elsewhere).orElseThrow();
        assertTrue(holder, holder.startsWith("resource /disks/" + VM + ".img is held by source ("));
        d.destination.assertGone(VM);
    }
}
