package io.ferry.core.migration;

import static io.ferry.core.migration.TwoDaemons.PERSISTENT_UNDEFINE_SOURCE;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.domain.Domain;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages;
import io.ferry.protocol.Messages.Begin;
import io.ferry.protocol.Messages.Begun;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.Prepare;
import io.ferry.protocol.MigrationFlags;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.Test;

/**
 * The phases of a migration called by a driver (or a key-holding peer) inconsistently: one id for two domains,
 * cookies and flags that do not belong to the migration. Each is refused before it acts, and no guest is left
 * paused, claimed or running on two hosts.
 */
public class InconsistentPhasesTest {
    private static final String VM = "vm1";
    private static final String OTHER = "vm2";

    /**
     * A Prepare of migration X waits for its domain's job (an operator's job under way) while a second Prepare with
     * the same id, of another domain, arrives. The second must be refused: taken, it left an incoming VM of its domain
     * that the id's journal record and Finish no longer reached, paused and claimed on the destination for good.
     */
    @Test
    public void aSecondPrepareOfOneIdForAnotherDomainIsRefusedWhileTheFirstWaits() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        d.source.boot(OTHER);
        d.destination.domains().define(TestHost.definition(VM)); // defined, inactive there: the operator has a job on it
        Domain waiting = d.destination.domain(VM).orElseThrow();
        TwoDaemons.ByHand run = d.byHand(VM);
        Begun other = d.peer(d.source).begin(new Begin(OTHER, TwoDaemons.LIVE, null, null, 0));
        AtomicReference<Throwable> firstFailure = new AtomicReference<>();
        Thread first = new Thread(() -> {
            try {
                run.prepare();
            } catch (Throwable e) {
                firstFailure.set(e);
            }
        });
        AtomicReference<ChannelException> secondRefusal = new AtomicReference<>();
        d.destination.domains().withJob(waiting, "operator", () -> {
            first.start();
            TwoDaemons.awaitWaitingForAJob(first);
            try {
                d.peer(d.destination).prepare(new Prepare(run.begun.id(), run.begun.key(), TwoDaemons.LIVE, other.domainXml(),
                        other.cookie(), other.sections(), d.source.uri));
            } catch (ChannelException e) {
                secondRefusal.set(e);
            }
            return null;
        });
        first.join();

        assertTrue("a second Prepare of migration " + run.begun.id() + " for " + OTHER + " was taken",
                secondRefusal.get() != null);
        assertTrue(secondRefusal.get().getMessage(), secondRefusal.get().getMessage().contains(run.begun.id()));
        assertNull(String.valueOf(firstFailure.get()), firstFailure.get());
        run.cancel();
        d.peer(d.source).confirm(new Messages.Confirm(other.id(), other.key(), true, null));
        d.destination.assertGone(VM);
        d.destination.assertGone(OTHER);
        d.destination.domain(OTHER).ifPresent(domain -> assertNull(OTHER + " is still claimed", domain.migration()));
        d.source.assertRuns(VM, digest);
        d.source.assertRuns(OTHER, null);
        assertEquals(VM, d.destination.journal.find(run.begun.id()).orElseThrow().domain());
    }

    /**
     * Begin asked for --persistent --undefinesource, Prepare for neither: the destination keeps no definition of the
     * guest, so the source must not undefine its own. Undefined, the definition was gone from both hosts.
     */
    @Test
    public void undefineSourceKeepsTheDefinitionWhenTheDestinationWasPreparedToKeepNone() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM, PERSISTENT_UNDEFINE_SOURCE)
                .prepare(TwoDaemons.LIVE).perform();
        Finished finished = run.finish();
        run.confirm(false, finished.cookie());

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
        assertNull("the destination was prepared to keep no definition", d.destination.domain(VM).orElseThrow().persistent());
        assertNotNull("the definition of vm1 is gone from both hosts",
                d.source.domain(VM).map(Domain::persistent).orElse(null));
    }

    /**
     * The same under protocol 2, whose source goes at Perform, before the destination's Finish: it asked the destination
     * (with the memory's endpoint) whether it keeps the definition, and keeps its own.
     */
    @Test
    public void underProtocol2UndefineSourceKeepsTheDefinitionWhenTheDestinationWasPreparedToKeepNone() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM, PERSISTENT_UNDEFINE_SOURCE.withV2()).prepare(TwoDaemons.LIVE.withV2()).perform();

        run.finish();

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
        assertNull("the destination was prepared to keep no definition", d.destination.domain(VM).orElseThrow().persistent());
        assertNotNull("the definition of vm1 is gone from both hosts",
                d.source.domain(VM).map(Domain::persistent).orElse(null));
    }

    /**
     * A Perform cookie that names another domain (its UUID the migrating one's) is refused at Finish, as libvirt refuses
     * it, before any section eats it; the guest goes on at its source.
     */
    @Test
    public void aFinishCookieNamingAnotherDomainIsRefusedBeforeAnythingActsOnIt() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        String renamed = run.performed.cookie().replace("<name>" + VM + "</name>", "<name>" + OTHER + "</name>");
        assertTrue("the cookie names its domain", !renamed.equals(run.performed.cookie()));

        ChannelException refused = assertThrows(ChannelException.class, () -> d.peer(d.destination).finish(
                new Messages.Finish(run.begun.id(), run.begun.key(), false, renamed)));

        assertTrue(refused.getMessage(), refused.getMessage().contains("Incoming cookie data had unexpected name " + OTHER
                + " vs " + VM));
        run.confirm(true, null);
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /**
     * Protocol 2 has no cookies to tie a Prepare to its Begin: a driver that crossed the wires of two migrations
     * prepared vm2 under vm1's migration id. Perform must not stream vm1's memory into vm2's incoming VM: protocol 2
     * stops the source's copy in Perform, and Finish would run vm1's guest over vm2's disks.
     */
    @Test
    public void aPerformIsRefusedWhenTheDestinationPreparedAnotherDomainUnderItsId() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        d.source.boot(OTHER);
        MigrationFlags v2 = TwoDaemons.LIVE.withV2();
        Begun begun = d.peer(d.source).begin(new Begin(VM, v2, null, null, 0));
        Begun other = d.peer(d.source).begin(new Begin(OTHER, v2, null, null, 0));
        Messages.Prepared prepared = d.peer(d.destination).prepare(new Prepare(begun.id(), begun.key(), v2, other.domainXml(),
                null, other.sections(), d.source.uri));

        ChannelException refused = assertThrows(ChannelException.class, () -> d.peer(d.source).perform(new Messages.Perform(
                begun.id(), begun.key(), prepared.dataUri(), null, d.destination.uri, prepared.sections())));

        assertTrue(refused.getMessage(), refused.getMessage().contains("prepared domain " + OTHER));
        d.peer(d.destination).finish(new Messages.Finish(begun.id(), begun.key(), true, null));
        d.peer(d.source).confirm(new Messages.Confirm(other.id(), other.key(), true, null));
        d.source.assertRuns(VM, digest);
        d.source.assertRuns(OTHER, null);
        d.destination.assertGone(OTHER);
    }

    /**
     * The Begin cookie carried the mandatory lockstate section and the destination took it at Prepare; a Perform whose
     * driver says the destination has no such section must be refused, not bake a cookie without it: the destination
     * would take the leases fresh at Finish, with no proof that no other host held them (and wrote the disks) since
     * the switch-over released them.
     */
    @Test
    public void aPerformWhoseDriverDropsAMandatorySectionOfTheBeginCookieIsRefused() throws Exception {
        TwoDaemons d = new TwoDaemons().carryingLeaseState();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        assertTrue(run.begun.cookie(), run.begun.cookie().contains("<feature name='lockstate'/>"));
        List<Messages.SectionVersion> withoutLockstate = run.prepared.sections().stream()
                .filter(section -> !section.feature().equals("lockstate")).toList();

        ChannelException refused = assertThrows(ChannelException.class, () -> d.peer(d.source).perform(new Messages.Perform(
                run.begun.id(), run.begun.key(), run.prepared.dataUri(), run.prepared.cookie(), d.destination.uri,
                withoutLockstate)));

        assertTrue(refused.getMessage(), refused.getMessage().contains("cookie section lockstate"));
        run.cancel();
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }
}
