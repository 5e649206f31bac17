package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.Optional;
import java.util.UUID;
import org.junit.Test;

/**
 * What virsh's job commands leave on a domain (migrate-setspeed, migrate-setmaxdowntime, the last job that
 * domjobinfo --completed shows) is the domain's, as libvirt keeps it on its domain object: not a later domain's that
 * happens to have its name, and not kept for good by a daemon once the domain is gone from its host.
 */
public class JobMemoryTest {
    private static final String VM = "vm1";
    private static final long MIB = 1024 * 1024;

    @Test
    public void aNewDomainOfTheNameMigratesWithoutItsPredecessorsSpeedCap() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        Jobs jobs = d.source.engine().jobs();
        jobs.setSpeed(VM, MIB); // 1 MiB/s for this domain's migrations
        jobs.setMaxDowntime(VM, 5);
        d.migrate(VM);
        assertEquals(MIB, jobs.lastEnded(VM).orElseThrow().maxBandwidth());

        // another guest under the old name: undefined, defined anew with its own UUID, booted
        d.source.domains().undefine(VM);
        d.destination.domains().destroy(VM);
        d.source.domains().define(TestHost.definition(VM).replace(TestHost.uuid(VM).toString(), UUID.randomUUID().toString()));
        d.source.domains().start(VM);
        assertEquals("domjobinfo --completed of the new domain", Optional.empty(), jobs.lastEnded(VM));

        d.migrate(VM);

        LiveJob job = jobs.lastEnded(VM).orElseThrow();
        assertEquals("no migrate-setspeed was given for this domain", 0, job.maxBandwidth());
        assertEquals(Jobs.DEFAULT_MAX_DOWNTIME_MS, job.maxDowntimeMillis());
    }

    /** A job that ended without succeeding, and with no reason (an exception without a message), still says it failed. */
    @Test
    public void aJobThatFailedWithoutAReasonSaysItFailed() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        Jobs jobs = d.source.engine().jobs();
        LiveJob job = jobs.start(VM, "Outgoing migration", UUID.randomUUID().toString(), 0);
        job.failed(null);

        jobs.end(VM, job, false);

        assertEquals("the migration failed", jobs.lastEnded(VM).orElseThrow().error());
    }

    /** The destination commits only once the memory's digest matched: both hosts' completed jobs say so. */
    @Test
    public void theCompletedJobSaysTheMemoryWasVerifiedOnBothHosts() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);

        d.migrate(VM);

        assertTrue("source", d.source.engine().jobs().lastEnded(VM).orElseThrow().stats().memoryVerified());
        assertTrue("destination", d.destination.engine().jobs().lastEnded(VM).orElseThrow().stats().memoryVerified());
    }

    @Test
    public void whatADomainGoneFromTheHostLeftIsDropped() throws Exception {
        TwoDaemons d = new TwoDaemons();
        Jobs jobs = d.destination.engine().jobs();
        for (int i = 0; i < 5; i++) {
            String name = "guest" + i;
            d.source.boot(name);
            d.migrate(name); // transient on the destination
            jobs.setSpeed(name, MIB);
            d.destination.domains().destroy(name); // and gone from it
        }
        d.source.boot(VM);

        d.migrate(VM);

        assertEquals("the names kept: " + jobs.namesKept(), 1, jobs.namesKept());
        assertTrue(jobs.lastEnded(VM).isPresent());
    }
}
