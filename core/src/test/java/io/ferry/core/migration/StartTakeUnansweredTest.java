package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.lock.LeaseRequest;
import io.ferry.core.domain.DomainException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Test;

/**
 * A start whose take of the leases failed as the lock manager could not reach its store (ZooKeeper committed the take
 * and went out of reach before its answer) may hold them with no VM: unlike a Finish's or a rollback's, nothing owed
 * them, and every other host's start of the domain was refused ("held by source") for good, the source running
 * nothing. They are owed now, and given back once the store answers.
 */
public class StartTakeUnansweredTest {
    private static final String VM = "vm1";
    private static final String DISK = "/disks/" + VM + ".img";

    @Test
    public void aStartWhoseTakeWentThroughUnansweredGivesTheLeasesBackOnceTheStoreAnswers() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.domains().define(TestHost.definition(VM));
        d.leases.acquireAnswerLostOnceOn = "source";

        assertThrows(DomainException.class, () -> d.source.domains().start(VM));
        assertEquals("taken all the same", "source", d.leases.holder(DISK));
        d.network.passes(1_000, d.source);

        assertNull(d.leases.holder(DISK));
        assertNull(d.leases.holder(LeaseRequest.domainResource(TestHost.uuid(VM))));
        d.destination.boot(VM); // an offline migration's definition there, or one defined anew
        d.destination.assertRuns(VM, null);
    }

    /**
     * The take never reached the store (the file manager's lease file locked elsewhere too long): another host takes
     * the leases meanwhile, and the give-back owed must not release them under its VM.
     */
    @Test
    public void leasesAnotherHostTookAfterAStartFailedUntakenStayItsOwn() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.domains().define(TestHost.definition(VM));
        d.leases.unreachableFrom = "source";
        assertThrows(DomainException.class, () -> d.source.domains().start(VM));
        d.destination.boot(VM);
        d.leases.unreachableFrom = null;

        d.network.passes(1_000, d.source);

        d.destination.assertRuns(VM, null);
        assertFalse("owed no more", d.source.domains().leases().owed().owesAny());
    }

    /**
     * A VM of the domain may run here that no daemon drives (a QEMU a daemon killed in a start left; its run directory
     * stays): the leases this host held before the take guard it, and a give-back would let another host start a
     * second VM on its disks. They are not owed.
     */
    @Test
    public void theLeasesOfAnUndrivenVmAreNotOwedWhenAStartsTakeGoesUnanswered() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.domains().define(TestHost.definition(VM));
        Path runDir = d.source.domains().store().runDir(TestHost.uuid(VM));
        Files.writeString(runDir.resolve("qemu.started"), "of the QEMU that runs");
        d.leases.acquire(new LeaseRequest(VM, TestHost.uuid(VM), List.of(DISK,
                LeaseRequest.domainResource(TestHost.uuid(VM))), "source", d.source.hostUuid), null);
        d.leases.acquireAnswerLostOnceOn = "source";

        assertThrows(DomainException.class, () -> d.source.domains().start(VM));
        d.network.passes(1_000, d.source);

        assertEquals("source", d.leases.holder(DISK));
        assertTrue(Files.exists(runDir.resolve("qemu.started")));
        assertFalse(d.source.domains().leases().owed().owesAny());
    }
}
