package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.snapshot.SnapshotStore;
import io.ferry.core.cookie.TestSections;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSource;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Test;
import org.w3c.dom.Element;

/**
 * The section contract as the engine keeps it: versions are compared before any section parses, a mandatory
 * section a domain needed is never left out, only sections with a phase left may hold a migration up, and a
 * failed migration says why on both hosts.
 */
public class SectionContractTest {
    private static final String VM = "vm1";
    private static final List<Phase> ALL = List.of(Phase.BEGIN, Phase.PREPARE, Phase.PERFORM, Phase.FINISH, Phase.CONFIRM);

    /** A section that counts what it is asked to do, in a version of its own. */
    static final class Counting implements CookieSection<String> {
        final AtomicInteger parsed = new AtomicInteger();
        final AtomicInteger eaten = new AtomicInteger();

        SectionHandle handle(String version, Mandatory mandatory, List<Phase> bakes, List<Phase> eats) {
            return TestSections.handle(SectionSource.of(this), "tpm", "tpm", version, mandatory, bakes, eats, TestSections.TIMEOUT);
        }

        /** vTPM state, say: mandatory when baked, baked at Perform (guest paused), eaten at Finish. */
        SectionHandle bakedAtPerform(String version) {
            return handle(version, Mandatory.WHEN_BAKED, List.of(Phase.PERFORM), List.of(Phase.FINISH));
        }

        @Override
        public String parse(Element fragment) {
            parsed.incrementAndGet();
            return fragment.getAttribute("digest");
        }

        @Override
        public void format(String value, Element fragment) {
            fragment.setAttribute("digest", value);
        }

        @Override
        public Optional<String> bake(SectionContext context) {
            return Optional.of("sha256:42");
        }

        @Override
        public void eat(SectionContext context, String value) {
            eaten.incrementAndGet();
        }
    }

    @Test
    public void aMandatorySectionOfAnotherMajorVersionFailsPrepareBeforeAnySectionParses() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        Counting v1 = new Counting();
        Counting v2 = new Counting();
        d.source.extraSections.add(v1.handle("1.0", Mandatory.WHEN_BAKED, List.of(Phase.BEGIN), List.of(Phase.PREPARE)));
        d.destination.extraSections.add(v2.handle("2.0", Mandatory.WHEN_BAKED, List.of(Phase.BEGIN), List.of(Phase.PREPARE)));

        ChannelException e = d.migrationFails(VM);

        assertEquals("cookie section tpm is mandatory for this domain, but the source has version 1.0 and this host 2.0",
                e.getMessage());
        assertEquals("the 2.0 section never saw the 1.0 fragment", 0, v2.parsed.get());
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
        assertFailedEvent(d.destination, "destination", e.getMessage());
        assertFailedEvent(d.source, "source", e.getMessage());
    }

    @Test
    public void anOptionalSectionOfAnotherMajorVersionIsLeftOutOfTheMigration() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        Counting v1 = new Counting();
        Counting v2 = new Counting();
        d.source.extraSections.add(v1.handle("1.3", Mandatory.NEVER, ALL, ALL));
        d.destination.extraSections.add(v2.handle("2.0", Mandatory.NEVER, ALL, ALL));

        d.migrate(VM);

        assertEquals(0, v2.parsed.get() + v2.eaten.get());
        assertEquals("the source did not eat the destination's 2.0 fragments either", 0, v1.parsed.get() + v1.eaten.get());
        d.destination.assertRuns(VM, digest);
    }

    /**
     * A driver whose Prepare and Perform list no sections (no {@code <sections>}: another make of driver): the peers
     * have no section in common and the migration goes on without; it failed on the missing list.
     */
    @Test
    public void aMigrationWhoseDriverListsNoSectionsGoesOnWithNoneInCommon() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        Counting source = new Counting();
        Counting destination = new Counting();
        d.source.extraSections.add(source.handle("1.0", Mandatory.NEVER, ALL, ALL));
        d.destination.extraSections.add(destination.handle("1.0", Mandatory.NEVER, ALL, ALL));

        TwoDaemons.ByHand run = d.byHand(VM).listingNoSections().prepare().perform();
        run.confirm(false, run.finish().cookie());

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
        assertEquals(0, destination.eaten.get() + source.eaten.get());
    }

    @Test
    public void aBeginWaitsForAMandatorySectionWhoseBundleIsReRegistering() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        Counting tpm = new Counting();
        SectionHandle section = tpm.handle("1.0", Mandatory.WHEN_BAKED, List.of(Phase.BEGIN), List.of(Phase.PREPARE));
        d.source.extraSections.add(section);
        d.destination.extraSections.add(new Counting().handle("1.0", Mandatory.WHEN_BAKED, List.of(Phase.BEGIN), List.of(Phase.PREPARE)));
        d.migrate(VM);
        d.destination.extraSections.clear(); // on the way back, it is the destination that needs it: remembered there
        Thread back = new Thread(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
            d.destination.extraSections.add(new Counting().handle("1.0", Mandatory.WHEN_BAKED, List.of(Phase.BEGIN),
                    List.of(Phase.PREPARE)));
        });
        back.start();

        d.driver().run(d.peer(d.destination), d.peer(d.source), new io.ferry.protocol.Messages.Migrate(VM, d.source.uri,
                TwoDaemons.LIVE, null, null, 0));

        back.join();
        assertEquals("the section was baked on the way back and eaten here", 1, tpm.eaten.get());
        d.source.assertRuns(VM, null);
    }

    @Test
    public void aDomainThatNeededAMandatorySectionNeverMigratesWithoutIt() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.extraSections.add(new Counting().handle("1.0", Mandatory.WHEN_BAKED, List.of(Phase.BEGIN), List.of(Phase.PREPARE)));
        d.destination.extraSections.add(new Counting().handle("1.0", Mandatory.WHEN_BAKED, List.of(Phase.BEGIN), List.of(Phase.PREPARE)));
        d.migrate(VM);
        d.destination.extraSections.clear(); // and it does not come back

        ChannelException e = assertThrows(ChannelException.class, () -> d.driver().run(d.peer(d.destination),
                d.peer(d.source), new io.ferry.protocol.Messages.Migrate(VM, d.source.uri, TwoDaemons.LIVE, null, null, 0)));

        assertEquals("cookie section tpm is mandatory for domain vm1 (its definition or its last migration says so), but"
                + " no bundle on this host offers it", e.getMessage());
        d.destination.assertRuns(VM, digest);
        assertFailedEvent(d.destination, "source", e.getMessage()); // a refused Begin is a failed migration in ferry events
    }

    /**
     * The record of a domain's mandatory sections is written without a sync: a power cut may leave NUL bytes in it, or a
     * disk garbage, which no section's feature can be. Read as a feature, every Begin of the domain failed for good
     * ("cookie section \0\0… is mandatory for domain vm1 …, but no bundle on this host offers it").
     */
    @Test
    public void aDomainWhoseMandatorySectionsRecordAPowerCutEmptiedStillMigrates() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        Path record = Files.createDirectories(d.source.stateDir.resolve("mandatory"))
                .resolve(d.source.domains().get(VM).uuid().toString());
        Files.write(record, new byte[12]);

        d.migrate(VM);
        d.destination.assertRuns(VM, digest);
    }

    /** A Begin bakes only Begin's sections: one that went no further must not make the host forget a Perform-phase one. */
    @Test
    public void aCancelledBeginDoesNotForgetAMandatorySectionBakedAtPerform() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        // vTPM state, say: baked with the guest paused, eaten before the commit
        d.source.extraSections.add(new Counting().handle("1.0", Mandatory.WHEN_BAKED, List.of(Phase.PERFORM), List.of(Phase.FINISH)));
        d.destination.extraSections.add(new Counting().handle("1.0", Mandatory.WHEN_BAKED, List.of(Phase.PERFORM), List.of(Phase.FINISH)));
        d.migrate(VM);
        Messages.Begun begun = d.peer(d.destination).begin(new Messages.Begin(VM, TwoDaemons.LIVE, null, null, 0));
        d.peer(d.destination).confirm(new Messages.Confirm(begun.id(), begun.key(), true, null)); // its driver gave up
        d.destination.extraSections.clear(); // and the section's bundle leaves for good

        ChannelException e = assertThrows("vm1 left without its tpm state", ChannelException.class, () -> d.driver().run(
                d.peer(d.destination), d.peer(d.source), new Messages.Migrate(VM, d.source.uri, TwoDaemons.LIVE, null, null, 0)));

        assertEquals("cookie section tpm is mandatory for domain vm1 (its definition or its last migration says so), but"
                + " no bundle on this host offers it", e.getMessage());
        d.destination.assertRuns(VM, digest);
    }

    /**
     * A section baked at Perform alone (vTPM state: baked with the guest paused) is announced by no Begin cookie, so
     * Prepare cannot refuse it: the Perform cookie announces it, and a destination without it refuses before its
     * commit.
     * It was left out of the Perform cookie, and the state lost with the source's copy.
     */
    @Test
    public void aMandatorySectionBakedAtPerformFailsTheMigrationToAHostWithoutIt() throws Exception {
        assertPerformSectionRefused(null, "Unknown migration cookie feature tpm");
    }

    @Test
    public void aMandatorySectionBakedAtPerformFailsTheMigrationToAHostOfAnotherMajorVersion() throws Exception {
        assertPerformSectionRefused("2.0", "Unknown migration cookie feature tpm");
    }

    private static void assertPerformSectionRefused(String versionThere, String why) throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.extraSections.add(new Counting().bakedAtPerform("1.0"));
        Counting there = new Counting();
        if (versionThere != null) {
            d.destination.extraSections.add(there.bakedAtPerform(versionThere));
        }

        ChannelException e = d.migrationFails(VM);

        assertTrue(e.getMessage(), e.getMessage().contains(why));
        assertEquals("the destination's section never saw the fragment", 0, there.parsed.get() + there.eaten.get());
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /** A domain known to need a section baked at Perform is refused before its memory moves to a host without it. */
    @Test
    public void aDomainThatCarriedAMandatorySectionAtPerformIsRefusedBeforeItsMemoryMovesToAHostWithoutIt()
            throws Exception {
        assertRefusedOnTheWayBack(null, "cookie section tpm is mandatory for domain vm1 (its definition or its last"
                + " migration says so), but the destination has no such section (this host has version 1.0): refused"
                + " before its memory moves");
    }

    @Test
    public void aDomainThatCarriedAMandatorySectionAtPerformIsRefusedBeforeItsMemoryMovesToAnotherMajorVersion()
            throws Exception {
        assertRefusedOnTheWayBack("2.0", "cookie section tpm is mandatory for domain vm1 (its definition or its last"
                + " migration says so), but the destination has version 2.0 and this host 1.0: refused before its"
                + " memory moves");
    }

    private static void assertRefusedOnTheWayBack(String versionThere, String why) throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.extraSections.add(new Counting().bakedAtPerform("1.0"));
        d.destination.extraSections.add(new Counting().bakedAtPerform("1.0"));
        d.migrate(VM); // the domain needs tpm from now on, and the host it came from loses it
        d.source.extraSections.clear();
        Counting back = new Counting();
        if (versionThere != null) {
            d.source.extraSections.add(back.bakedAtPerform(versionThere));
        }

        ChannelException e = assertThrows(ChannelException.class, () -> d.driver().run(d.peer(d.destination),
                d.peer(d.source), new Messages.Migrate(VM, d.source.uri, TwoDaemons.LIVE, null, null, 0)));

        assertTrue(e.getMessage(), e.getMessage().contains(why));
        assertNull("the memory never left", d.destination.vm(VM).runningWhenMemoryLeft);
        assertEquals(0, back.parsed.get() + back.eaten.get());
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    /**
     * The destination killed after its commit, before the arrival's end was recorded: what the domain needs from now on
     * was remembered only at that end, so the restart that resumed it forgot the section it needs, and it left again
     * without it (its state lost with the copy the section's absence left behind).
     */
    @Test
    public void aDomainWhoseDestinationWasKilledAfterItsCommitStillNeedsTheSectionItCarriedAtPerform()
            throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.extraSections.add(new Counting().bakedAtPerform("1.0"));
        d.destination.extraSections.add(new Counting().bakedAtPerform("1.0"));
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.destination.journal.crashBefore = Step.FINISHED;
        assertThrows(Crash.class, run::finish);
        d.destination.restart();
        d.network.passes(1_000, d.destination, d.source);
        d.destination.assertRuns(VM, digest);
        d.destination.extraSections.clear(); // and the section's bundle leaves for good

        ChannelException e = assertThrows("vm1 left without its tpm state", ChannelException.class,
                () -> d.peer(d.destination).begin(new Messages.Begin(VM, TwoDaemons.LIVE, null, null, 0)));

        assertEquals("cookie section tpm is mandatory for domain vm1 (its definition or its last migration says so),"
                + " but no bundle on this host offers it", e.getMessage());
        d.destination.assertRuns(VM, digest);
    }

    /** {@code ferry events} on {@code host} shows the migration of {@link #VM} failed on {@code side}, saying why. */
    private static void assertFailedEvent(TestHost host, String side, String why) {
        assertTrue(host.engine().events().toString(), host.engine().events().stream().anyMatch(ev -> ev.domain().equals(VM)
                && ev.operation().equals("failed") && ev.side().equals(side) && ev.reason().contains(why)));
    }

    /** Issue 10's first finding: a Begin that ran while the section's bundle re-registered baked nothing, silently. */
    @Test
    public void aBeginWaitsOutASectionWhoseBundleJustLeftAndBakesItOnceItIsBack() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        Counting there = new Counting();
        d.destination.extraSections.add(there.handle("1.0", Mandatory.WHEN_BAKED, List.of(Phase.BEGIN), List.of(Phase.PREPARE)));
        d.source.departed = java.util.Set.of("tpm"); // its bundle is being updated: gone for a moment
        Thread back = new Thread(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
            d.source.extraSections.add(new Counting().handle("1.1", Mandatory.WHEN_BAKED, List.of(Phase.BEGIN),
                    List.of(Phase.PREPARE)));
            d.source.departed = java.util.Set.of();
        });
        back.start();

        d.migrate(VM);

        back.join();
        assertEquals("the destination ate the section the source baked once it was back", 1, there.eaten.get());
        d.destination.assertRuns(VM, digest);
    }

    @Test
    public void aBeginRefusesWhileASectionThatJustLeftHasNotComeBack() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.departed = java.util.Set.of("tpm");

        ChannelException e = d.migrationFails(VM);

        assertEquals("cookie section tpm left this host moments ago (its bundle being updated?) and has not come back;"
                + " domain vm1 may need it, so it does not migrate without it: try again once it is back", e.getMessage());
        d.source.assertRuns(VM, digest);
        LiveJob refused = d.source.engine().jobs().lastEnded(VM).orElseThrow();
        assertEquals("the refused Begin is the last job, failed with its reason", e.getMessage(), refused.error());
        assertEquals(0, refused.stats().processed());
    }

    /** libvirt's statistics, say: the destination's word after its commit, for the source to show. */
    @Test
    public void aSectionTheDestinationBakesAtFinishIsEatenAtTheSourcesConfirm() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        Counting here = new Counting();
        Counting there = new Counting();
        d.source.extraSections.add(here.handle("1.0", Mandatory.NEVER, List.of(Phase.FINISH), List.of(Phase.CONFIRM)));
        d.destination.extraSections.add(there.handle("1.0", Mandatory.NEVER, List.of(Phase.FINISH), List.of(Phase.CONFIRM)));

        d.migrate(VM);

        d.destination.assertRuns(VM, digest);
        assertEquals("the source ate the destination's Finish fragment at Confirm", 1, here.eaten.get());
        assertEquals("the destination eats nothing of its own", 0, there.eaten.get());
    }

    @Test
    public void aSectionWhosePhasesAreOverMayLeaveWithoutHoldingTheMigrationUp() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.extraSections.add(new Counting().handle("1.0", Mandatory.WHEN_BAKED, List.of(Phase.BEGIN), List.of(Phase.PREPARE)));
        d.destination.extraSections.add(new Counting().handle("1.0", Mandatory.WHEN_BAKED, List.of(Phase.BEGIN), List.of(Phase.PREPARE)));
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        d.source.extraSections.clear();
        d.destination.extraSections.clear();

        run.confirm(false, run.perform().finish().cookie());

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    @Test
    public void aMandatorySectionThatLeavesWhileTheGuestIsPausedFailsTheMigrationAndTheGuestResumes() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.extraSections.add(FaultySection.healthy());
        d.destination.extraSections.add(FaultySection.healthy());
        d.source.vm(VM).atSwitchOver = d.source.extraSections::clear;

        ChannelException e = d.migrationFails(VM);

        assertTrue(e.getMessage(), e.getMessage().contains("cookie section fault was removed during the migration"));
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    @Test
    public void aFailedMigrationSaysWhyOnBothHosts() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.source.extraSections.add(FaultySection.healthy());
        d.destination.extraSections.add(FaultySection.failing("eat", Phase.FINISH));

        d.migrationFails(VM);

        String why = "cookie section fault failed in eat: IllegalStateException: fault injected at eat:finish";
        assertTrue(d.destination.engine().events().stream().anyMatch(ev -> ev.operation().equals("failed")
                && ev.reason().contains(why)));
        assertTrue(d.source.engine().events().stream().anyMatch(ev -> ev.operation().equals("failed")
                && ev.side().equals("source")));
        assertTrue(d.destination.engine().jobs().lastEnded(VM).orElseThrow().error().contains(why));
        assertTrue(d.source.engine().jobs().lastEnded(VM).orElseThrow().error().contains(why));
    }

    /**
     * A domain with snapshots on a source where no section carries them (the snapshots bundle is gone): Begin is
     * refused, saying so, rather than a migration that succeeds and leaves the snapshots behind.
     */
    @Test
    public void aDomainWithSnapshotsDoesNotMigrateWithoutTheSectionThatCarriesThem() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.snapshots.domains.put(TestHost.uuid(VM), List.of(new SnapshotStore.Snapshot("before", null,
                "<domainsnapshot><name>before</name></domainsnapshot>")));

        ChannelException refused = d.migrationFails(VM);

        assertTrue(refused.getMessage(), refused.getMessage().contains("cannot migrate domain vm1 with 1 snapshots: no cookie"
                + " section on this host carries them"));
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }
}
