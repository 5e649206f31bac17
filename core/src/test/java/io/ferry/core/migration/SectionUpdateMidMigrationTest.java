package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.core.cookie.TestSections;
import io.ferry.core.section.SectionGone;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSource;
import io.ferry.protocol.ChannelException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
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
        return tpm(section, element, mandatory, Phase.PERFORM, Phase.FINISH);
    }

    private static SectionHandle tpm(SectionContractTest.Counting section, String element, Mandatory mandatory, Phase bakes,
            Phase eats) {
        return TestSections.handle(SectionSource.of(section), "tpm", element, "1.0", mandatory, List.of(bakes), List.of(eats),
                TestSections.TIMEOUT);
    }

    @Test
    public void anUpdateThatRenamedTheElementOfAMandatorySectionFailsFinishAndTheGuestStaysOnTheSource() throws Exception {
        SectionContractTest.Counting updated = new SectionContractTest.Counting();
        finishRefusedOnceTheDestinationsSectionIs(tpm(updated, "tpm-state", Mandatory.WHEN_BAKED), "cookie section tpm was"
                + " updated during the migration to element <tpm-state> and policy WHEN_BAKED, where the migration pinned element"
                + " <tpm> and policy WHEN_BAKED");
        assertEquals("the renamed section never ate", 0, updated.eaten.get());
    }

    /** It said the section was removed, where the operator had deployed its next major version. */
    @Test
    public void anUpdateToAnotherMajorVersionFailsFinishSayingSoAndTheGuestStaysOnTheSource() throws Exception {
        SectionContractTest.Counting updated = new SectionContractTest.Counting();
        finishRefusedOnceTheDestinationsSectionIs(TestSections.handle(SectionSource.of(updated), "tpm", "tpm", "2.0",
                Mandatory.WHEN_BAKED, List.of(Phase.PERFORM), List.of(Phase.FINISH), TestSections.TIMEOUT), "cookie section tpm"
                + " was updated during the migration to version 2.0, where the migration pinned version 1.0 (another major"
                + " version); it is needed for this domain");
        assertEquals("the 2.0 section never saw the 1.0 fragment", 0, updated.parsed.get() + updated.eaten.get());
    }

    /** Section tpm, mandatory on both hosts, is {@code updated} on the destination after Prepare: Finish says {@code why}. */
    private static void finishRefusedOnceTheDestinationsSectionIs(SectionHandle updated, String why) throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.extraSections.add(tpm(new SectionContractTest.Counting(), "tpm", Mandatory.WHEN_BAKED));
        d.destination.extraSections.add(tpm(new SectionContractTest.Counting(), "tpm", Mandatory.WHEN_BAKED));
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        d.destination.extraSections.set(0, updated);

        run.perform();
        ChannelException refused = assertThrows(ChannelException.class, run::finish);

        assertTrue(refused.getMessage(), refused.getMessage().contains(why));
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

    /**
     * A registration of section tpm that its bundle's update takes away once a phase has taken its sections, before
     * its call: {@code update} is what the framework does meanwhile.
     */
    private static SectionHandle updatedAway(Phase bakes, Phase eats, Runnable update) {
        return updatedAway(bakes, eats, Mandatory.WHEN_BAKED, null, update);
    }

    /** The same, once {@code first} has served one call: the registration that parsed a cookie, gone for its eat. */
    private static SectionHandle updatedAway(Phase bakes, Phase eats, CookieSection<?> first, Runnable update) {
        return updatedAway(bakes, eats, Mandatory.WHEN_BAKED, first, update);
    }

    /** The same, of a section as mandatory as {@code mandatory}. */
    private static SectionHandle updatedAway(Phase bakes, Phase eats, Mandatory mandatory, CookieSection<?> first,
            Runnable update) {
        AtomicInteger calls = new AtomicInteger();
        SectionSource source = new SectionSource() {
            @Override
            @SuppressWarnings("unchecked")
            public CookieSection<Object> acquire() throws SectionGone {
                if (first != null && calls.getAndIncrement() == 0) {
                    return (CookieSection<Object>) first;
                }
                update.run();
                throw new SectionGone("cookie section tpm is no longer registered (its bundle was stopped, updated or"
                        + " uninstalled)");
            }

            @Override
            public void release(CookieSection<Object> section) {
            }
        };
        return TestSections.handle(source, "tpm", "tpm", "1.0", mandatory, List.of(bakes), List.of(eats),
                TestSections.TIMEOUT);
    }

    /**
     * An optional section is waited for as a mandatory one is when its call found it gone: its new registration comes
     * a few looks later (FileInstall stops the old bundle, then starts the new one), and left out it would not carry its
     * fragment (graphics relocation, a port's data) in this migration.
     */
    @Test
    public void anOptionalSectionUpdatedWhileBeginBakesIsWaitedForAndBakedByItsNewRegistration() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        SectionContractTest.Counting eater = new SectionContractTest.Counting();
        d.destination.extraSections.add(eater.handle("1.0", Mandatory.NEVER, List.of(Phase.BEGIN), List.of(Phase.PREPARE)));
        SectionHandle replacement = new SectionContractTest.Counting().handle("1.4", Mandatory.NEVER, List.of(Phase.BEGIN),
                List.of(Phase.PREPARE));
        AtomicInteger looks = new AtomicInteger();
        d.source.extraSections.add(updatedAway(Phase.BEGIN, Phase.PREPARE, Mandatory.NEVER, null, () -> {
            d.source.extraSections.clear();
            d.source.onSectionsLook = () -> {
                if (looks.incrementAndGet() == 3) {
                    d.source.extraSections.add(replacement);
                }
            };
        }));

        d.migrate(VM);

        assertEquals("the destination parsed and ate the fragment the new registration baked", List.of(1, 1),
                List.of(eater.parsed.get(), eater.eaten.get()));
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    @Test
    public void aSectionUpdatedWhileBeginBakesIsBakedByItsNewRegistration() throws Exception {
        migratesWithTheSectionUpdatedAtItsFirstCall(Phase.BEGIN, Phase.PREPARE, false);
    }

    @Test
    public void aSectionUpdatedWhilePerformBakesIsBakedByItsNewRegistrationAlreadyThere() throws Exception {
        migratesWithTheSectionUpdatedAtItsFirstCall(Phase.PERFORM, Phase.FINISH, false);
    }

    @Test
    public void aSectionUpdatedAsPrepareParsesParsesAndEatsThroughItsNewRegistration() throws Exception {
        migratesWithTheSectionUpdatedAtItsFirstCall(Phase.BEGIN, Phase.PREPARE, true);
    }

    @Test
    public void aSectionUpdatedAsFinishParsesParsesAndEatsThroughItsNewRegistrationAlreadyThere() throws Exception {
        migratesWithTheSectionUpdatedAtItsFirstCall(Phase.PERFORM, Phase.FINISH, true);
    }

    /**
     * The soak run's failures: with the guest paused a gone section was not waited for at all, and the few tens of
     * milliseconds between FileInstall stopping the old bundle and the new one registering failed the migration.
     */
    @Test
    public void aSectionUpdatedWhilePerformBakesIsWaitedForThoughTheGuestIsPaused() throws Exception {
        migratesWithTheSectionUpdatedAtItsFirstCall(Phase.PERFORM, Phase.FINISH, false, 4);
    }

    @Test
    public void aSectionUpdatedAsFinishParsesIsWaitedForThoughTheGuestIsPaused() throws Exception {
        migratesWithTheSectionUpdatedAtItsFirstCall(Phase.PERFORM, Phase.FINISH, true, 4);
    }

    /**
     * After the commit the guest runs on the destination: the Finish bake and the source's Confirm waited for no update
     * either, the one leaving the section's fragment out of the Finish cookie, the other leaving it uneaten.
     */
    @Test
    public void aSectionUpdatedWhileFinishBakesIsWaitedForAfterTheCommit() throws Exception {
        migratesWithTheSectionUpdatedAtItsFirstCall(Phase.FINISH, Phase.CONFIRM, true, 4);
    }

    @Test
    public void aSectionUpdatedAsConfirmParsesIsWaitedFor() throws Exception {
        migratesWithTheSectionUpdatedAtItsFirstCall(Phase.FINISH, Phase.CONFIRM, false, 4);
    }

    private static void migratesWithTheSectionUpdatedAtItsFirstCall(Phase bakes, Phase eats, boolean onDestination)
            throws Exception {
        migratesWithTheSectionUpdatedAtItsFirstCall(bakes, eats, onDestination, 1);
    }

    /**
     * Section tpm, baked in {@code bakes} and eaten in {@code eats}, is updated on one host as its first call there
     * comes: the bake on the host that bakes it, or the parse of the cookie on the one that eats it. Its new
     * registration comes with the {@code look}th look at the registered sections from then (1: at once).
     */
    private static void migratesWithTheSectionUpdatedAtItsFirstCall(Phase bakes, Phase eats, boolean onDestination,
            int look) throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TestHost updating = onDestination ? d.destination : d.source;
        SectionContractTest.Counting kept = new SectionContractTest.Counting();
        SectionContractTest.Counting updated = new SectionContractTest.Counting();
        (onDestination ? d.source : d.destination).extraSections.add(kept.handle("1.0", Mandatory.WHEN_BAKED,
                List.of(bakes), List.of(eats)));
        SectionHandle replacement = updated.handle("1.4", Mandatory.WHEN_BAKED, List.of(bakes), List.of(eats));
        AtomicInteger looks = new AtomicInteger();
        updating.extraSections.add(updatedAway(bakes, eats, () -> {
            updating.extraSections.clear();
            updating.onSectionsLook = () -> {
                if (looks.incrementAndGet() == look) {
                    updating.extraSections.add(replacement);
                }
            };
            updating.onSectionsLook.run();
        }));

        d.migrate(VM);

        boolean eatenOnDestination = eats != Phase.CONFIRM;
        SectionContractTest.Counting eater = onDestination == eatenOnDestination ? updated : kept;
        assertEquals("the eating host's tpm (the new registration where it was updated) parsed the cookie and ate it",
                List.of(1, 1), List.of(eater.parsed.get(), eater.eaten.get()));
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    @Test
    public void aSectionUpdatedBetweenPreparesParseAndItsEatEatsThroughItsNewRegistration() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.extraSections.add(tpm(new SectionContractTest.Counting(), "tpm", Mandatory.WHEN_BAKED, Phase.BEGIN,
                Phase.PREPARE));
        SectionContractTest.Counting old = new SectionContractTest.Counting();
        SectionContractTest.Counting updated = new SectionContractTest.Counting();
        SectionHandle replacement = tpm(updated, "tpm", Mandatory.WHEN_BAKED, Phase.BEGIN, Phase.PREPARE);
        d.destination.extraSections.add(updatedAway(Phase.BEGIN, Phase.PREPARE, old,
                () -> d.destination.extraSections.set(0, replacement)));

        d.migrate(VM);

        assertEquals("the old registration parsed the Begin cookie, and never ate", List.of(1, 0),
                List.of(old.parsed.get(), old.eaten.get()));
        assertEquals("its new registration parsed it again and ate", List.of(1, 1),
                List.of(updated.parsed.get(), updated.eaten.get()));
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    @Test
    public void aSectionRemovedWhilePerformBakesIsWaitedForBrieflyAndTheGuestStaysOnTheSource() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.destination.extraSections.add(new SectionContractTest.Counting().handle("1.0", Mandatory.WHEN_BAKED,
                List.of(Phase.PERFORM), List.of(Phase.FINISH)));
        d.source.extraSections.add(updatedAway(Phase.PERFORM, Phase.FINISH, d.source.extraSections::clear));

        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        ChannelException refused = assertThrows(ChannelException.class, run::perform);

        assertTrue(refused.getMessage(), refused.getMessage().contains("cookie section tpm was removed during the migration"
                + " and no replacement registered; it is needed for this domain"));
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
