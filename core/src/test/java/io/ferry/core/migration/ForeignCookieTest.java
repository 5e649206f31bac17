package io.ferry.core.migration;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages;
import org.junit.Test;

/**
 * A Finish commits the destination on the word of the Perform cookie: the source paused its guest and gave it up. A
 * cookie that is not this migration's Perform cookie (an earlier migration's of the same guest, this one's Begin
 * cookie) says nothing of the kind, and must not commit it: after a Perform that failed, the source resumed its copy.
 */
public class ForeignCookieTest {
    private static final String VM = "vm1";

    @Test
    public void aFinishWithThePerformCookieOfAnEarlierMigrationIsRefusedAndTheGuestRunsOnlyAtItsSource() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand earlier = d.byHand(VM).prepare().perform();
        String earlierCookie = earlier.performed.cookie();
        earlier.cancel();
        TwoDaemons.ByHand run = failedAfterItsMemoryMoved(d);

        ChannelException refused = assertThrows(ChannelException.class, () -> d.peer(d.destination).finish(
                new Messages.Finish(run.begun.id(), run.begun.key(), false, earlierCookie)));

        assertTrue(refused.getMessage(), refused.getMessage().contains("the migration cookie is the Perform cookie of migration "
                + earlier.begun.id() + ", not of migration " + run.begun.id()));
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /**
     * The same earlier cookie with its origin taken out, as a libvirt or an older Ferry bakes it: where the source named
     * its origin in every cookie of this migration, one that names none is not taken for its Perform cookie.
     */
    @Test
    public void aFinishWithACookieThatNamesNoOriginIsRefusedWhereTheSourceNamedItsOrigins() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand earlier = d.byHand(VM).prepare().perform();
        String withoutOrigin = earlier.performed.cookie().replaceFirst(" migration='[^']*'", "")
                .replaceFirst(" phase='[^']*'", "");
        assertFalse(withoutOrigin, withoutOrigin.contains(earlier.begun.id()));
        earlier.cancel();
        TwoDaemons.ByHand run = failedAfterItsMemoryMoved(d);

        ChannelException refused = assertThrows(ChannelException.class, () -> d.peer(d.destination).finish(
                new Messages.Finish(run.begun.id(), run.begun.key(), false, withoutOrigin)));

        assertTrue(refused.getMessage(), refused.getMessage().contains("the migration cookie does not say which migration it"
                + " was baked for, where every other cookie of migration " + run.begun.id() + " from its peer did"));
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    @Test
    public void aFinishWithTheBeginCookieOfItsOwnMigrationIsRefused() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = failedAfterItsMemoryMoved(d);

        ChannelException refused = assertThrows(ChannelException.class, () -> d.peer(d.destination).finish(
                new Messages.Finish(run.begun.id(), run.begun.key(), false, run.begun.cookie())));

        assertTrue(refused.getMessage(), refused.getMessage().contains("the migration cookie is the Begin cookie of migration "
                + run.begun.id() + ", not its Perform cookie"));
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /**
     * A migration whose memory reached the destination and whose Perform then failed (the source's disk full as it
     * recorded the step): the source rolled back alone and its guest runs again, the destination holds the memory.
     */
    private static TwoDaemons.ByHand failedAfterItsMemoryMoved(TwoDaemons d) throws Exception {
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        d.source.journal.failAt = Step.PERFORMED;
        assertThrows(ChannelException.class, run::perform);
        d.source.journal.failAt = null;
        d.destination.awaitMemoryEnded(run.begun.id());
        return run;
    }
}
