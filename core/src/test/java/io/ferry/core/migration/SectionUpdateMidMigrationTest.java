package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.core.cookie.TestSections;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSource;
import io.ferry.protocol.ChannelException;
import java.util.List;
import org.junit.Test;

/**
 * A bundle update in the middle of a migration takes over its remaining calls only if the fragment is still read
 * the same way: the same feature, major version, element and mandatory policy. An update that renamed the element or
 * changed the policy is not the pinned section; a mandatory one then fails the migration before the commit, never
 * silently skipped.
 */
public class SectionUpdateMidMigrationTest {
    private static final String VM = "vm1";

    private static SectionHandle tpm(SectionContractTest.Counting section, String element, Mandatory mandatory) {
        return TestSections.handle(SectionSource.of(section), "tpm", element, "1.0", mandatory, List.of(Phase.PERFORM),
                List.of(Phase.FINISH), TestSections.TIMEOUT);
    }

    @Test
    public void anUpdateThatRenamedTheElementOfAMandatorySectionFailsFinishAndTheGuestStaysOnTheSource() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.extraSections.add(tpm(new SectionContractTest.Counting(), "tpm", Mandatory.WHEN_BAKED));
        d.destination.extraSections.add(tpm(new SectionContractTest.Counting(), "tpm", Mandatory.WHEN_BAKED));
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        SectionContractTest.Counting updated = new SectionContractTest.Counting();
        d.destination.extraSections.set(0, tpm(updated, "tpm-state", Mandatory.WHEN_BAKED));

        run.perform();
        ChannelException refused = assertThrows(ChannelException.class, run::finish);

        assertEquals("the renamed section never ate", 0, updated.eaten.get());
        assertTrue(refused.getMessage(), refused.getMessage().contains("cookie section tpm was updated during the migration"
                + " to element <tpm-state> and policy WHEN_BAKED, where the migration pinned element <tpm> and policy WHEN_BAKED"));
        run.confirm(true, null);
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    @Test
    public void anUpdateThatMadeAMandatorySectionOptionalFailsPerformAndTheGuestStaysOnTheSource() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.extraSections.add(FaultySection.healthy());
        d.destination.extraSections.add(FaultySection.healthy());
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        // optional now, its Perform bake would be left out of the cookie the destination's mandatory section needs
        d.source.extraSections.set(0, FaultySection.failing("bake", Phase.PERFORM, Mandatory.NEVER));

        ChannelException refused = assertThrows(ChannelException.class, run::perform);

        assertTrue(refused.getMessage(), refused.getMessage().contains("cookie section fault was updated during the migration"
                + " to element <fault> and policy NEVER, where the migration pinned element <fault> and policy WHEN_BAKED"));
        d.source.assertRuns(VM, digest);
    }

    @Test
    public void anUpdateThatKeepsElementAndPolicyTakesOver() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.extraSections.add(tpm(new SectionContractTest.Counting(), "tpm", Mandatory.WHEN_BAKED));
        d.destination.extraSections.add(tpm(new SectionContractTest.Counting(), "tpm", Mandatory.WHEN_BAKED));
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        SectionContractTest.Counting updated = new SectionContractTest.Counting();
        d.destination.extraSections.set(0, TestSections.handle(SectionSource.of(updated), "tpm", "tpm", "1.4",
                Mandatory.WHEN_BAKED, List.of(Phase.PERFORM), List.of(Phase.FINISH), TestSections.TIMEOUT));

        run.confirm(false, run.perform().finish().cookie());

        assertEquals(1, updated.eaten.get());
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }
}
