package io.ferry.testkit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.hypervisor.DomainSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.Test;

public class TwoHostsTest {
    private static final DomainSpec VM1 = Domains.fromXml("<domain type='sim'><name>vm1</name>"
            + "<uuid>11111111-2222-4333-8444-555555555555</uuid><memory unit='MiB'>1</memory><vcpu>1</vcpu>"
            + "<devices><interface type='bridge'><source bridge='br0'/><virtualport type='openvswitch'/></interface>"
            + "</devices></domain>");

    private static Map<String, Object> with(Map<String, Object> properties, String element) {
        Map<String, Object> changed = new HashMap<>(properties);
        changed.put(CookieSection.ELEMENT, element);
        return changed;
    }

    @Test
    public void aDomainFromXmlIsWhatTheDaemonReads() {
        assertEquals("vm1", VM1.name());
        assertEquals(1024, VM1.memoryKiB());
        assertEquals("openvswitch", VM1.nics().get(0).virtualPortType());
        assertEquals("a daemon refuses this domain definition: missing domain name",
                assertThrows(AssertionError.class, () -> Domains.fromXml("<domain type='sim'/>")).getMessage());
        assertEquals("no resource /domains/none.xml beside " + TwoHostsTest.class.getName(),
                assertThrows(AssertionError.class, () -> Domains.fromResource(TwoHostsTest.class, "/domains/none.xml"))
                        .getMessage());
    }

    @Test
    public void eachBakedFragmentIsEatenByTheNextPhaseThroughTheCodec() throws Exception {
        TwoHosts<String> hosts = TwoHosts.of(new NoteSection()).domain(VM1);
        TwoHosts.Migration<String> migration = hosts.migrate();
        assertEquals(Optional.of("vm1@begin"), migration.eaten(Phase.PREPARE));
        assertEquals(Optional.of("vm1@perform"), migration.eaten(Phase.FINISH));
        assertTrue(migration.cookie(Phase.BEGIN).orElseThrow().contains("<feature name='note'/>"));
        assertTrue(migration.cookie(Phase.PERFORM).orElseThrow().contains("<hostname>source</hostname>"));
        assertTrue("a daemon's cookie names its migration and phase", migration.cookie(Phase.PERFORM).orElseThrow()
                .startsWith("<qemu-migration migration='test' phase='perform'>"));
        assertEquals(List.of("ate vm1@begin from source", "ate vm1@perform from source"), hosts.destination().info);
        assertEquals(List.of(), migration.notes());
    }

    /**
     * A section eats only in the phases it declares: here an optional one whose destination bakes at Prepare as well,
     * and whose source, which eats nothing, leaves Perform's incoming fragment alone.
     */
    @Test
    public void aHostEatsOnlyInThePhasesItsSectionDeclares() throws Exception {
        NoteSection section = new NoteSection();
        SectionMetadata bakedAtPrepareToo = NoteSection.metadata(Mandatory.NEVER, Set.of(Phase.BEGIN, Phase.PREPARE),
                Set.of(Phase.PREPARE));
        TwoHosts.Migration<String> migration = TwoHosts.between(section, bakedAtPrepareToo, section, bakedAtPrepareToo).migrate();
        assertTrue(migration.cookie(Phase.PREPARE).orElseThrow().contains("text='vm@prepare'"));
        assertEquals(Map.of(Phase.PREPARE, "vm@begin"), migration.eaten());
        assertEquals("the fragment is parsed only where it is eaten", 1, section.parsed.get());
    }

    /** Each host its own instance, as each daemon has its own: what one keeps (by migration id) the other has not. */
    @Test
    public void aSupplierGivesEachHostItsOwnSection() throws Exception {
        List<NoteSection> made = new ArrayList<>();
        TwoHosts.of(() -> {
            made.add(new NoteSection());
            return made.get(made.size() - 1);
        }).migrate();
        assertEquals(2, made.size());
        assertEquals("the source's section parses nothing", 0, made.get(0).parsed.get());
        assertEquals(2, made.get(1).parsed.get());
    }

    /** A section with nothing to say bakes no fragment, and nothing is eaten: the migration goes on without it. */
    @Test
    public void aSectionWithNothingToSayLeavesTheCookiesWithoutIt() throws Exception {
        NoteSection silent = new NoteSection();
        silent.silent = true;
        TwoHosts.Migration<String> migration = TwoHosts.of(silent).migrate();
        assertEquals(Map.of(), migration.cookies());
        assertEquals(Map.of(), migration.eaten());
        assertEquals(List.of(), migration.notes());
    }

    /** Where no fragment came, the section eats its absent value, and only in the phases it eats in. */
    @Test
    public void aPhaseWithoutAFragmentEatsTheAbsentValueOnlyWhereTheSectionEats() throws Exception {
        NoteSection silent = new NoteSection();
        silent.silent = true;
        silent.absent = "no note";
        TwoHosts.Migration<String> migration = TwoHosts.of(silent).migrate();
        assertEquals(Map.of(Phase.PREPARE, "no note", Phase.FINISH, "no note"), migration.eaten());
    }

    /**
     * A mandatory section failing in Finish's bake fails the daemon's whole Finish cookie (past the commit), so the
     * source's Confirm eats nothing, not even the absent value; an optional one is left out of the cookie, which
     * Confirm eats: its absent value.
     */
    @Test
    public void aFinishCookieThatCannotBeBakedLeavesConfirmNothingToEat() throws Exception {
        Set<Phase> bakes = Set.of(Phase.BEGIN, Phase.FINISH);
        Set<Phase> eats = Set.of(Phase.PREPARE, Phase.CONFIRM);
        NoteSection failing = new NoteSection();
        failing.failIn = Phase.FINISH;
        failing.absent = "no note";
        SectionMetadata mandatory = NoteSection.metadata(Mandatory.WHEN_BAKED, bakes, eats);
        TwoHosts.Migration<String> migration = TwoHosts.between(failing, mandatory, failing, mandatory).migrate();
        assertEquals(Map.of(Phase.PREPARE, "vm@begin"), migration.eaten());
        assertEquals(List.of("after the commit, the Finish cookie could not be baked: cookie section note failed in"
                + " bake: IllegalStateException: told to fail at finish"), migration.notes());
        SectionMetadata optional = NoteSection.metadata(Mandatory.NEVER, bakes, eats);
        migration = TwoHosts.between(failing, optional, failing, optional).migrate();
        assertEquals(Map.of(Phase.PREPARE, "vm@begin", Phase.CONFIRM, "no note"), migration.eaten());
        assertEquals(List.of("skipping optional cookie section note at finish: cookie section note failed in bake:"
                + " IllegalStateException: told to fail at finish"), migration.notes());
    }

    /** A Finish cookie Confirm cannot read is only noted, as the daemon's source logs it: the domain left. */
    @Test
    public void aFinishCookieThatConfirmRefusesIsNoted() throws Exception {
        Map<String, Object> finishToConfirm = Map.of(CookieSection.BAKES, new String[] {"FINISH"}, CookieSection.EATS,
                new String[] {"CONFIRM"});
        SectionMetadata atSource = NoteSection.metadata(with(finishToConfirm, "x"));
        SectionMetadata atDestination = NoteSection.metadata(with(finishToConfirm, "y"));
        TwoHosts.Migration<String> migration = TwoHosts.between(new NoteSection(), atSource, new NoteSection(),
                atDestination).migrate();
        assertEquals(Map.of(), migration.eaten());
        assertEquals(List.of("after the commit, the Finish cookie could not be eaten: the migration cookie announces"
                + " feature note as mandatory but carries no <x> element, which this host's section note reads: the"
                + " other host's section note writes another element (update the section on both hosts alike)"),
                migration.notes());
    }

    /**
     * A fragment that is there but not announced, which its section reads as nothing, is left out of the parsed
     * cookie, as the daemon's codec does: nothing is eaten, not the absent value.
     */
    @Test
    public void aFragmentReadAsNothingIsNotEaten() throws Exception {
        NoteSection blind = new NoteSection();
        blind.readsNothing = true;
        blind.absent = "no note";
        SectionMetadata optional = NoteSection.metadata(Mandatory.NEVER, Set.of(Phase.BEGIN, Phase.PERFORM),
                Set.of(Phase.PREPARE, Phase.FINISH));
        TwoHosts.Migration<String> migration = TwoHosts.between(blind, optional, blind, optional).migrate();
        assertTrue(migration.cookie(Phase.BEGIN).isPresent());
        assertEquals(Map.of(), migration.eaten());
    }

    @Test
    public void aRoundTripReadsBackWhatWasFormatted() throws Exception {
        CookieRoundTrip<String> trip = CookieRoundTrip.of(new NoteSection());
        assertEquals("a <b> & 'c'", trip.roundTrip("a <b> & 'c'"));
        assertEquals("missing text attribute in note section",
                assertThrows(CookieException.class, () -> trip.parse("<note/>", Phase.PREPARE)).getMessage());
        assertEquals("Too many note elements in migration cookie",
                assertThrows(CookieException.class, () -> trip.parse("<note text='a'/><note text='b'/>", Phase.PREPARE))
                        .getMessage());
    }

    @Test
    public void minorVersionsOfOneMajorMigrate() throws Exception {
        NoteSection older = new NoteSection();
        TwoHosts.Migration<String> migration = TwoHosts.between(older, SectionMetadata.of(NoteSection.class).withVersion("1.0"),
                new NoteSection(), SectionMetadata.of(NoteSection.class)).migrate();
        assertEquals(Optional.of("vm@perform"), migration.eaten(Phase.FINISH));
    }

    /**
     * A daemon's cookie names its migration and phase, so a mandatory fragment under another element (renamed in a
     * minor version) is refused at its parse, as a daemon refuses it, rather than eaten as if nothing had been baked.
     */
    @Test
    public void aMandatoryFragmentUnderAnotherElementIsRefused() {
        TwoHosts<String> hosts = TwoHosts.between(new NoteSection(), NoteSection.metadata("x", "1.0"),
                new NoteSection(), NoteSection.metadata("y", "1.1"));
        assertEquals("the migration cookie announces feature note as mandatory but carries no <y> element, which this"
                + " host's section note reads: the other host's section note writes another element (update the section"
                + " on both hosts alike)", assertThrows(CookieException.class, hosts::migrate).getMessage());
    }

    @Test
    public void aMandatoryFragmentOfAnotherMajorIsRefusedBeforeItIsParsed() {
        NoteSection newer = new NoteSection();
        TwoHosts<String> hosts = TwoHosts.between(new NoteSection(), SectionMetadata.of(NoteSection.class),
                newer, SectionMetadata.of(NoteSection.class).withVersion("2.0"));
        assertEquals("cookie section note is mandatory for this domain, but the source has version 1.2 and this host 2.0",
                assertThrows(CookieException.class, hosts::migrate).getMessage());
        assertEquals(0, newer.parsed.get());
    }

    @Test
    public void anOptionalSectionOfAnotherMajorIsDropped() throws Exception {
        OptionalNoteSection newer = new OptionalNoteSection();
        TwoHosts.Migration<String> migration = TwoHosts.between(new OptionalNoteSection(),
                SectionMetadata.of(OptionalNoteSection.class), newer,
                SectionMetadata.of(OptionalNoteSection.class).withVersion("2.0")).migrate();
        assertEquals(List.of("cookie section note: the peer has version 1.0 and this host 2.0: not used in this migration"), migration.notes());
        assertTrue(migration.eaten().isEmpty());
        assertEquals(0, newer.parsed.get());
    }

    /** A mandatory section failing before the commit, in its bake or its eat, fails the migration (an optional one: below). */
    @Test
    public void aMandatorySectionThatFailsBeforeTheCommitFailsTheMigration() {
        for (Map.Entry<Phase, String> failure : Map.of(Phase.BEGIN, "bake", Phase.FINISH, "eat").entrySet()) {
            NoteSection failing = new NoteSection();
            failing.failIn = failure.getKey();
            String expected = "cookie section note failed in " + failure.getValue() + ": IllegalStateException: told to fail at "
                    + failure.getKey().cliName();
            assertEquals(expected, assertThrows(CookieException.class, () -> TwoHosts.of(failing).migrate()).getMessage());
        }
    }

    @Test
    public void anOptionalSectionThatFailsIsSkipped() throws Exception {
        OptionalNoteSection failing = new OptionalNoteSection();
        failing.failIn = Phase.BEGIN;
        TwoHosts.Migration<String> migration = TwoHosts.of((NoteSection) failing).migrate();
        assertFalse(migration.cookie(Phase.BEGIN).isPresent());
        assertEquals(List.of("skipping optional cookie section note at begin: cookie section note failed in bake:"
                + " IllegalStateException: told to fail at begin"), migration.notes());
        assertEquals(Optional.of("vm@perform"), migration.eaten(Phase.FINISH));
    }
}
