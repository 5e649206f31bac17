package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;

import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.core.section.SectionHandle;
import io.ferry.protocol.Messages.Finished;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Test;

/**
 * A section bundle updated after the commit, as the Finish cookie is baked or as the source's Confirm takes its
 * sections (the soak run's 'could not be eaten: Unknown migration cookie feature'): the guest runs on the destination,
 * so the update's gap is waited for as while it runs, and a section removed for good is left out of a migration that
 * cannot fail any more.
 */
public class SectionUpdateAfterTheCommitTest {
    private static final String VM = "vm1";

    /** tpm, as a vTPM's state might go: baked by the destination's Finish, eaten by the source's Confirm. */
    private static SectionHandle tpm(SectionContractTest.Counting section) {
        return section.handle("1.0", Mandatory.WHEN_BAKED, List.of(Phase.FINISH), List.of(Phase.CONFIRM));
    }

    @Test
    public void aSectionUpdatedAsTheGuestResumesOnItsDestinationIsBakedIntoTheFinishCookie() throws Exception {
        SectionContractTest.Counting source = new SectionContractTest.Counting();
        migrates(source, new SectionContractTest.Counting(), false, 3);
        assertEquals("the source's tpm parsed and ate what the new registration baked", List.of(1, 1),
                List.of(source.parsed.get(), source.eaten.get()));
    }

    @Test
    public void aSectionUpdatedBeforeConfirmEatsThroughItsNewRegistration() throws Exception {
        SectionContractTest.Counting replacement = new SectionContractTest.Counting();
        migrates(new SectionContractTest.Counting(), replacement, true, 3);
        assertEquals("the new registration parsed the Finish cookie and ate it", List.of(1, 1),
                List.of(replacement.parsed.get(), replacement.eaten.get()));
    }

    @Test
    public void aSectionRemovedForGoodAsTheGuestResumesIsLeftOutOfTheFinishCookie() throws Exception {
        SectionContractTest.Counting source = new SectionContractTest.Counting();
        Finished finished = migrates(source, new SectionContractTest.Counting(), false, 0);
        assertNotNull("the rest of the Finish cookie is baked", finished.cookie());
        assertEquals("nothing to eat for the source's tpm", 0, source.eaten.get());
    }

    @Test
    public void aSectionRemovedForGoodBeforeConfirmLeavesTheCookieUneatenAndTheSourceGoes() throws Exception {
        SectionContractTest.Counting source = new SectionContractTest.Counting();
        migrates(source, new SectionContractTest.Counting(), true, 0);
        assertEquals(0, source.eaten.get());
    }

    /**
     * Migrates with tpm on both hosts, the destination's updated as its guest resumes (after the commit, before the
     * Finish cookie is baked) or the source's before Confirm; its {@code replacement} registers on the {@code look}th
     * look at the registered sections from then, or never (0: removed for good). The migration completes either way.
     */
    private static Finished migrates(SectionContractTest.Counting onSource, SectionContractTest.Counting replacement,
            boolean atConfirm, int look) throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.extraSections.add(tpm(onSource));
        d.destination.extraSections.add(tpm(new SectionContractTest.Counting()));
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        TestHost updating = atConfirm ? d.source : d.destination;
        Runnable update = () -> {
            updating.extraSections.clear();
            AtomicInteger looks = new AtomicInteger();
            updating.onSectionsLook = () -> {
                if (looks.incrementAndGet() == look) {
                    updating.extraSections.add(tpm(replacement));
                }
            };
        };
        if (!atConfirm) {
            d.destination.vm(VM).afterResume = update;
        }

        Finished finished = run.finish();
        if (atConfirm) {
            update.run();
        }
        run.confirm(false, finished.cookie());

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
        return finished;
    }
}
