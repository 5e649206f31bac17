package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationFlags;
import java.nio.file.Files;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.Function;
import org.junit.Test;

/**
 * A daemon answers only the migration protocols it speaks ({@code ferryd --protocols}): one that speaks 2 alone (as an
 * old peer) refuses protocol 3's calls, and one that speaks 3 alone refuses protocol 2's, which has no Confirm (its
 * source's copy goes at the end of Perform).
 */
public class ProtocolVersionsTest {
    private static final String VM = "vm1";
    private static final MigrationFlags V2 = TwoDaemons.LIVE.withV2();

    private final Network network = new Network();

    @Test
    public void aDaemonOfProtocol2RefusesProtocol3sCallsAndTheGuestStays() throws Exception {
        TestHost source = new TestHost("source", network, null, Set.of(2, 3));
        TestHost destination = new TestHost("destination", network, null, Set.of(2));
        String digest = source.boot(VM);
        Messages.Begun begun = network.peer(source.uri).begin(new Messages.Begin(VM, TwoDaemons.LIVE, null, null, 0));

        refused(3, () -> network.peer(destination.uri).prepare(new Messages.Prepare(begun.id(), begun.key(), TwoDaemons.LIVE,
                begun.domainXml(), begun.cookie(), begun.sections(), source.uri)));
        refused(3, () -> network.peer(destination.uri).begin(new Messages.Begin(VM, TwoDaemons.LIVE, null, null, 0)));

        network.peer(source.uri).confirm(new Messages.Confirm(begun.id(), begun.key(), true, null));
        source.assertRuns(VM, digest);
        destination.assertGone(VM);
    }

    @Test
    public void aDaemonOfProtocol3AloneRefusesProtocol2sCalls() throws Exception {
        TestHost source = new TestHost("source", network, null, Set.of(3));
        String digest = source.boot(VM);

        refused(2, () -> network.peer(source.uri).begin(new Messages.Begin(VM, V2, null, null, 0)));
        source.assertRuns(VM, digest);
    }

    /** A Confirm is protocol 3's; a cancelled one (a driver's clean-up after a failure) is answered under either. */
    @Test
    public void aDaemonOfProtocol2AloneRefusesAConfirmButTakesACancelledOne() throws Exception {
        TestHost source = new TestHost("source", network, null, Set.of(2));
        String digest = source.boot(VM);
        Messages.Begun begun = network.peer(source.uri).begin(new Messages.Begin(VM, V2, null, null, 0));

        refused(3, () -> network.peer(source.uri).confirm(new Messages.Confirm(begun.id(), begun.key(), false, null)));
        network.peer(source.uri).confirm(new Messages.Confirm(begun.id(), begun.key(), true, null));
        source.assertRuns(VM, digest);
    }

    /** Protocol 2 has no Confirm: the source's copy goes at the end of Perform, not at a settle seconds later. */
    @Test
    public void aProtocol2MigrationEndsTheSourcesCopyAtPerform() throws Exception {
        TwoDaemons d = new TwoDaemons(false); // protocol 2 cannot carry lease state: refused with a lock manager
        String digest = d.source.boot(VM);

        d.migrate(VM, V2);

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    /**
     * Over the data port, a protocol-2 source took the bytes its kernel accepted for memory arrived and stopped its
     * copy at Perform: a destination that then failed on them (its disk full) dropped the only one, the domain on
     * neither host. Perform now ends once the destination says the memory is in its VM; failing, it leaves the guest
     * running here.
     */
    @Test
    public void aProtocol2SourceKeepsItsCopyUntilTheDestinationHasTheMemory() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        d.destination.hypervisor.receiveFailure = new java.io.IOException("No space left on device");

        ChannelException e = assertThrows(ChannelException.class, () -> d.migrate(VM, V2));

        assertTrue(e.getMessage(), e.getMessage().contains("without taking the memory into its VM"));
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /**
     * Once Perform has stopped the source's copy, the guest can only run at the destination: a failure after that (the
     * source's disk full as it records the end) had Perform fail, the driver cancel Finish and the destination drop the
     * only copy. Perform answers that it performed, the destination runs the guest, and the source records the end at
     * the migration's settle, once its disk has room.
     */
    @Test
    public void aProtocol2SourceThatCannotRecordItsEndLetsTheDestinationRunTheGuest() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        d.source.journal.failAt = Step.CONFIRMED;

        d.migrate(VM, V2);

        d.destination.assertRuns(VM, digest);
        assertEquals(Step.PERFORMING, d.source.journal.only().step());
        d.source.journal.failAt = null;
        d.network.passes(9_000, d.source, d.destination); // beyond the driver timeout: the source settles it
        d.source.assertGone(VM);
        assertEquals(Step.CONFIRMED, d.source.journal.only().step());
        d.destination.assertRuns(VM, digest);
    }

    /** The same under --persistent --undefinesource: the definition the source dropped is kept at the destination. */
    @Test
    public void aProtocol2SourceThatCannotRecordItsEndAfterUndefiningKeepsTheDefinitionAtTheDestination()
            throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);

        undefinedWithItsEndUnrecorded(d, TwoDaemons.PERSISTENT_UNDEFINE_SOURCE.withV2(),
                () -> d.destination.assertRuns(VM, digest));
    }

    /**
     * Offline, nothing stops at the source: the migration counts as done once its completion drops the definition
     * there, the destination's staged one then the only one. Were a failure after that (the end's record, on a full
     * disk) to fail Perform, the driver would cancel Finish and the destination drop its staged definition: the
     * definition on neither host.
     */
    @Test
    public void anOfflineProtocol2SourceThatCannotRecordItsEndAfterUndefiningKeepsTheDefinitionAtTheDestination()
            throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        d.source.domains().define(TestHost.definition(VM));

        undefinedWithItsEndUnrecorded(d, MigrationFlags.parse("offline,persistent,undefinesource,v2"),
                () -> assertFalse("runs at the destination", d.destination.domain(VM).orElseThrow().isActive()));
    }

    /**
     * A protocol-2 migration of {@code flags} (--persistent --undefinesource) whose source cannot record its end: the
     * definition goes from the source and is kept at the destination, where {@code atTheDestination} holds, before
     * and after the source's settle records the end.
     */
    private static void undefinedWithItsEndUnrecorded(TwoDaemons d, MigrationFlags flags, Call atTheDestination)
            throws Exception {
        d.source.journal.failAt = Step.CONFIRMED;

        d.migrate(VM, flags);

        atTheDestination.run();
        assertNotNull("the destination keeps its definition", d.destination.domain(VM).orElseThrow().persistent());
        assertEquals(Step.PERFORMING, d.source.journal.only().step());
        d.source.journal.failAt = null;
        d.network.passes(9_000, d.source, d.destination);
        assertTrue("still defined on the source", d.source.domain(VM).isEmpty());
        assertEquals(Step.CONFIRMED, d.source.journal.only().step());
        atTheDestination.run();
        assertNotNull("the destination keeps its definition", d.destination.domain(VM).orElseThrow().persistent());
    }

    /**
     * The copy counts as stopped once its VM is destroyed: a failure as its run files go after that (its status file
     * not removable, EIO) had Perform fail and the driver cancel Finish, the guest then on neither host; later it left
     * the migration to the source's settle, the domain listed active there with its VM destroyed meanwhile. The
     * destination runs the guest, and the source ends the migration at once, the file left for its next start.
     */
    @Test
    public void aProtocol2SourceWhoseStatusCannotGoAfterItsVmIsDestroyedLetsTheDestinationRunTheGuest()
            throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        d.source.vm(VM).beforeDestroy = () -> d.source.statusUndeletable(VM);

        d.migrate(VM, V2);

        d.destination.assertRuns(VM, digest);
        assertTrue("the source's VM is destroyed", d.source.vm(VM).isDestroyed());
        d.source.assertGone(VM);
        assertEquals(Step.CONFIRMED, d.source.journal.only().step());
        assertTrue("the status file that could not go", Files.exists(d.source.status(VM)));
    }

    /**
     * A Perform whose reply is lost (the driver's link to the source dropped) may have stopped the source's copy: the
     * driver asks the source what became of it, and finishes the migration the source completed, where it cancelled
     * it and the destination dropped the only copy.
     */
    @Test
    public void aProtocol2PerformWhoseReplyIsLostIsFinishedOnTheSourcesWord() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        d.network.loseReplyOf(d.source, "perform");

        d.migrate(VM, V2);

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
        assertTrue(d.warnings.toString(), d.warnings.get(0).contains("the source stopped its copy"));
    }

    /** Both: the source answers that its copy stopped before it can record the end, and the driver finishes. */
    @Test
    public void aProtocol2PerformWhoseReplyIsLostAndWhoseEndIsUnrecordedIsFinished() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        d.source.journal.failAt = Step.CONFIRMED;
        d.network.loseReplyOf(d.source, "perform");

        d.migrate(VM, V2);

        d.destination.assertRuns(VM, digest);
        d.source.journal.failAt = null;
        d.network.passes(9_000, d.source, d.destination);
        d.source.assertGone(VM);
        assertEquals(Step.CONFIRMED, d.source.journal.only().step());
    }

    /**
     * A domjobabort once the memory has left, while Perform still holds the job to stop the copy here: it asked the
     * destination to settle before it waited for the job, the destination (which commits only at Finish) dropped its
     * copy, and Perform stopped this one all the same: the guest ran nowhere. It waits for the job, as before, and
     * answers that it is too late; the driver's Finish runs the guest at the destination.
     */
    @Test(timeout = 60_000)
    public void aProtocol2AbortOnceTheMemoryLeftLetsTheDestinationRunTheGuest() throws Exception {
        assertRefusedDuringTheCompletion(d -> () -> d.source.engine().abortJob(VM),
                "too late to abort migration %s: it completed, domain vm1 runs on the destination");
    }

    /** The same of a ferry resume: it waits for Perform's job, and the guest runs at the destination. */
    @Test(timeout = 60_000)
    public void aProtocol2ResumeOnceTheMemoryLeftLetsTheDestinationRunTheGuest() throws Exception {
        assertRefusedDuringTheCompletion(d -> () -> d.source.engine().resume(VM, false),
                "cannot resume vm1: migration %s ended while this waited for it, and vm1 runs on its destination");
    }

    /**
     * A domjobabort on the destination of a protocol-2 migration once the source's copy stopped at Perform dropped
     * the only copy, and said the guest went on at its source. The destination cannot know whether the source
     * stopped its copy (it commits only at Finish): as libvirt's domjobabort of an incoming migration, it refuses,
     * by domain or by id, and the driver's Finish runs the guest at the destination.
     */
    @Test(timeout = 60_000)
    public void aProtocol2AbortOnTheDestinationIsRefusedAndTheGuestRunsThere() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM, V2).prepare().perform();
        String id = run.begun.id();

        String refusal = "Requested operation is not valid: migration " + id + " of vm1 is of protocol 2, whose source"
                + " stops its copy at Perform: abort it on its source, which knows whether it did (aborted here, vm1"
                + " could run on neither host)";
        assertEquals(refusal, assertThrows(MigrationException.class, () -> d.destination.engine().abortJob(VM))
                .getMessage());
        assertEquals(refusal, assertThrows(MigrationException.class,
                () -> d.destination.engine().abortMigration(VM, id)).getMessage());
        run.finish();

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    /**
     * A protocol-2 migration whose {@code operator} calls once the memory has left and the destination has taken it
     * in, as Perform's completion begins to stop the copy here (in the domain's job): the call waits for that job and
     * is refused with {@code refusal} (%s: the migration's id), and the driver's Finish runs the guest at the
     * destination.
     */
    private static void assertRefusedDuringTheCompletion(Function<TwoDaemons, Callable<String>> operator,
            String refusal) throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM, V2).prepare();
        FutureTask<String> call = new FutureTask<>(operator.apply(d));
        d.source.vm(VM).beforeDestroy = () -> {
            d.destination.awaitMemoryEnded(run.begun.id());
            TwoDaemons.startWaiting(call, "operator"); // for Perform's job
        };

        run.perform();
        run.finish();

        ExecutionException refused = assertThrows(ExecutionException.class, call::get);
        assertEquals(String.format(refusal, run.begun.id()), refused.getCause().getMessage());
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    /**
     * Protocol 2 has no Perform cookie: a domain that migrated with a mandatory section baked at Perform (vTPM state)
     * would go without it, its state lost with the source's copy at the end of Perform. Begin refuses.
     */
    @Test
    public void aDomainThatCarriedAMandatorySectionIsRefusedProtocol2() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        SectionContractTest.Counting here = new SectionContractTest.Counting();
        d.source.extraSections.add(here.bakedAtPerform("1.0"));
        d.destination.extraSections.add(new SectionContractTest.Counting().bakedAtPerform("1.0"));
        d.migrate(VM);

        ChannelException e = assertThrows(ChannelException.class, () -> d.driver().run(d.peer(d.destination),
                d.peer(d.source), new Messages.Migrate(VM, d.source.uri, V2, null, null, 0)));

        assertEquals("Cannot use migrate v2 protocol: cookie section tpm is mandatory for domain vm1 and needs the"
                + " cookies of protocol v3", e.getMessage());
        assertEquals(0, here.eaten.get());
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    /** What a section baked at Perform alone carries cannot be known before the memory moves: protocol 2 is refused. */
    @Test
    public void aMandatorySectionBakedAtPerformAloneRefusesProtocol2() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        d.source.extraSections.add(new SectionContractTest.Counting().bakedAtPerform("1.0"));
        SectionContractTest.Counting there = new SectionContractTest.Counting();
        d.destination.extraSections.add(there.bakedAtPerform("1.0"));

        ChannelException e = assertThrows(ChannelException.class, () -> d.migrate(VM, V2));

        assertEquals("Cannot use migrate v2 protocol: cookie section tpm may be mandatory for domain vm1 (it bakes at"
                + " Perform, which protocol 2 gives no cookie) and needs the cookies of protocol v3", e.getMessage());
        assertEquals(0, there.eaten.get());
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    private interface Call {
        void run() throws Exception;
    }

    private static void refused(int protocol, Call call) {
        ChannelException e = assertThrows(ChannelException.class, call::run);
        assertTrue(e.getMessage(), e.getMessage().contains("this daemon does not speak migration protocol " + protocol));
    }
}
