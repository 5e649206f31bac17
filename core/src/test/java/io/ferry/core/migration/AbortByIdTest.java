package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.domain.Domain;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.DomainMessages.Done;
import io.ferry.protocol.Messages.Begin;
import io.ferry.protocol.Messages.Outcome;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import org.junit.Test;

/**
 * The Ctrl-C of {@code ferry migrate} aborts the migration that command began, by its id, and no other migration of
 * the domain: not another operator's that holds the domain while this command's Begin waits for it, nor one begun
 * after this command's ended. A migration that has not begun is withdrawn: its Begin is refused.
 */
public class AbortByIdTest {
    private static final String VM = "vm1";

    @Test(timeout = 60_000)
    public void anAbortOfAMigrationWaitingForTheDomainWithdrawsItAndLeavesTheMigrationThatHoldsTheDomainAlone()
            throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand holder = d.byHand(VM).prepare();
        String waiting = UUID.randomUUID().toString();
        CompletableFuture<Exception> waitingBegin;
        // the holder's job held as its Perform holds it while memory moves: a second Begin waits for it
        Domain domain = d.source.domains().get(VM);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> job = CompletableFuture.runAsync(() -> {
            try {
                d.source.domains().withJob(domain, "migration perform", holder.begun.id(), () -> {
                    held.countDown();
                    release.await();
                    return null;
                });
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        held.await();
        waitingBegin = CompletableFuture.supplyAsync(() -> {
            try {
                d.peer(d.source).begin(new Begin(VM, TwoDaemons.LIVE, null, null, null, 0, waiting));
                return null;
            } catch (ChannelException e) {
                return e;
            }
        });

        Done done = d.source.engine().abortMigration(VM, waiting);
        release.countDown();
        job.get();

        assertEquals(done.message(), DaemonClient.WITHDRAWN, done.action());
        assertEquals("Migration " + waiting + " of vm1 had not begun: it will not begin now; migration " + holder.begun.id()
                + " of vm1 goes on", done.message());
        assertTrue("the waiting Begin was refused", waitingBegin.get() != null);
        assertEquals(Outcome.UNKNOWN, d.source.engine().fate(waiting).outcome());
        holder.perform();
        holder.confirm(false, holder.finish().cookie());
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    /**
     * A Begin registers its migration, then records it: one registered after the abort looked for it among those under
     * way, and recorded before it looked in the journal, was taken for one that had ended ("not under way on this host:
     * nothing was aborted"), and the Ctrl-C's migration went on.
     */
    @Test(timeout = 60_000)
    public void anAbortThatFindsItsMigrationRecordedAsItBeganAbortsIt() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        String id = UUID.randomUUID().toString();
        d.source.journal.beforeFind = looked -> {
            try {
                d.peer(d.source).begin(new Begin(VM, TwoDaemons.LIVE, null, null, null, 0, id));
            } catch (ChannelException e) {
                throw new AssertionError(e);
            }
        };

        Done done = d.source.engine().abortMigration(VM, id);

        assertEquals(done.message(), DaemonClient.ABORTED, done.action());
        assertEquals(Outcome.ABORTED, d.source.engine().fate(id).outcome());
        d.source.assertRuns(VM, digest);
    }

    /**
     * {@code domjobabort NAME} stops the migration's transfer and waits for the domain's job; the migration rolls back
     * and a Begin that waited for the domain takes it first: the abort, refused as the new migration's, told the
     * operator it failed although it had done what it was asked. Here the first migration ends, and the second
     * begins, under the job the abort waits for, as its Perform's rollback and the waiting Begin would.
     */
    @Test(timeout = 60_000)
    public void anAbortWhoseMigrationEndedWhileItWaitedForTheJobSaysSoThoughAnotherTookTheDomain() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand first = d.byHand(VM).prepare();
        Domain domain = d.source.domains().get(VM);
        String second = UUID.randomUUID().toString();
        FutureTask<String> abort = new FutureTask<>(() -> d.source.engine().abortJob(VM));
        d.source.domains().withJob(domain, "migration perform", first.begun.id(), () -> {
            TwoDaemons.startWaiting(abort, "domjobabort"); // for this job
            d.source.engine().abortMigration(VM, first.begun.id());
            d.peer(d.source).begin(new Begin(VM, TwoDaemons.LIVE, null, null, null, 0, second));
            return null;
        });

        assertEquals("Migration " + first.begun.id() + " of vm1 aborted: vm1 runs here", abort.get());
        assertEquals("the second migration has the domain", second, domain.migration());
    }

    /**
     * {@code domjobabort NAME} while the memory leaves: the transfer stops there (as libvirt cancels the job), Perform
     * fails, and the guest runs on here. Without the stop the abort only waited for Perform's job: the transfer went on
     * to the switch-over and Perform succeeded.
     */
    @Test(timeout = 60_000)
    public void anAbortDuringTheTransferStopsItAndPerformFails() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        FutureTask<String> abort = new FutureTask<>(() -> d.source.engine().abortJob(VM));
        d.source.vm(VM).duringSend = () -> TwoDaemons.startWaiting(abort, "domjobabort"); // for Perform's job

        assertThrows(ChannelException.class, run::perform);
        assertEquals("Migration " + run.begun.id() + " of vm1 aborted: vm1 runs here", abort.get());
        d.source.assertRuns(VM, digest);
    }

    @Test
    public void aBeginOfAWithdrawnMigrationIsRefusedAndTheDomainStaysFree() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        String id = UUID.randomUUID().toString();

        assertEquals(DaemonClient.WITHDRAWN, d.source.engine().abortMigration(VM, id).action());
        ChannelException e = assertThrows(ChannelException.class,
                () -> d.peer(d.source).begin(new Begin(VM, TwoDaemons.LIVE, null, null, null, 0, id)));

        assertTrue(e.getMessage(), e.getMessage().contains("aborted by the operator (domjobabort) before it began"));
        d.source.assertRuns(VM, digest);
        d.migrate(VM);
        d.destination.assertRuns(VM, digest);
    }

    @Test
    public void anAbortOfAMigrationThatEndedLeavesTheOneBegunAfterIt() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand first = d.byHand(VM).prepare();
        first.cancel();
        TwoDaemons.ByHand second = d.byHand(VM).prepare();

        Done done = d.source.engine().abortMigration(VM, first.begun.id());

        assertEquals(DaemonClient.ABORTED, done.action());
        assertEquals("Migration " + first.begun.id() + " of vm1 was aborted already: vm1 runs here", done.message());
        second.perform();
        second.confirm(false, second.finish().cookie());
        d.destination.assertRuns(VM, digest);
    }

    @Test
    public void anAbortNamingTheDomainsOwnMigrationAbortsIt() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        String id = UUID.randomUUID().toString();
        d.peer(d.source).begin(new Begin(VM, TwoDaemons.LIVE, null, null, null, 0, id));

        Done done = d.source.engine().abortMigration(VM, id);

        assertEquals(DaemonClient.ABORTED, done.action());
        assertEquals("Migration " + id + " of vm1 aborted before any memory moved: vm1 runs here", done.message());
        d.source.assertRuns(VM, digest);
    }

    /** On the destination, the id names the arrival: it is aborted there, as domjobabort of the domain would. */
    @Test
    public void anAbortAtTheDestinationNamingTheArrivalAbortsIt() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare();

        Done done = d.destination.engine().abortMigration(VM, run.begun.id());

        assertEquals(DaemonClient.ABORTED, done.action());
        assertTrue(done.message(), done.message().startsWith("Incoming migration " + run.begun.id() + " of vm1 aborted"));
        d.destination.assertGone(VM);
        run.confirm(true, null);
        d.source.assertRuns(VM, digest);
    }

    @Test
    public void anAbortNamingAnotherDomainsMigrationIsRefusedAndAbortsNothing() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.boot("vm2");
        TwoDaemons.ByHand run = d.byHand(VM).prepare();

        Exception e = assertThrows(MigrationException.class, () -> d.source.engine().abortMigration("vm2", run.begun.id()));

        assertEquals("migration " + run.begun.id() + " is not a migration of domain vm2 (it is vm1's): nothing was aborted",
                e.getMessage());
        run.perform();
        run.confirm(false, run.finish().cookie());
        d.destination.assertRuns(VM, digest);
    }

    /**
     * Ctrl-C as Confirm removes the transient domain it migrated: the journal answers, as for a domain still here. The
     * channel looked the domain up first and answered "Domain not found".
     */
    @Test
    public void anAbortOfAMigrationThatTookItsTransientDomainAwayIsTooLate() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        run.perform();
        run.confirm(false, run.finish().cookie());
        d.source.assertGone(VM);

        Exception e = assertThrows(MigrationException.class,
                () -> d.source.engine().abortMigration(VM, run.begun.id()));

        assertEquals("too late to abort migration " + run.begun.id() + ": it completed", e.getMessage());
    }

    /** An id withdrawn under a name no domain has would refuse that id's Begin of any domain. */
    @Test
    public void anAbortOfAnUnknownMigrationOfNoDomainHereWithdrawsNothing() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        String id = UUID.randomUUID().toString();

        Exception e = assertThrows(Exception.class, () -> d.source.engine().abortMigration("nobody", id));

        assertEquals("Domain not found: no domain with matching name 'nobody'", e.getMessage());
        d.peer(d.source).begin(new Begin(VM, TwoDaemons.LIVE, null, null, null, 0, id));
    }
}
