package io.ferry.testkit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Phase;
import io.ferry.api.hypervisor.DomainSpec;
import java.util.List;
import java.util.Optional;
import org.junit.Test;

public class TwoHostsTest {
    private static final DomainSpec VM1 = Domains.fromXml("<domain type='sim'><name>vm1</name>"
            + "<uuid>11111111-2222-4333-8444-555555555555</uuid><memory unit='MiB'>1</memory><vcpu>1</vcpu>"
            + "<devices><interface type='bridge'><source bridge='br0'/><virtualport type='openvswitch'/></interface>"
            + "</devices></domain>");

    @Test
    public void aDomainFromXmlIsWhatTheDaemonReads() {
        assertEquals("vm1", VM1.name());
        assertEquals(1024, VM1.memoryKiB());
        assertEquals("openvswitch", VM1.nics().get(0).virtualPortType());
        assertEquals("a daemon refuses this domain definition: missing domain name",
                assertThrows(AssertionError.class, () -> Domains.fromXml("<domain type='sim'/>")).getMessage());
    }

    @Test
    public void eachBakedFragmentIsEatenByTheNextPhaseThroughTheCodec() throws Exception {
        TwoHosts<String> hosts = TwoHosts.of(new NoteSection()).domain(VM1);
        TwoHosts.Migration<String> migration = hosts.migrate();
        assertEquals(Optional.of("vm1@begin"), migration.eaten(Phase.PREPARE));
        assertEquals(Optional.of("vm1@perform"), migration.eaten(Phase.FINISH));
        assertTrue(migration.cookie(Phase.BEGIN).orElseThrow().contains("<feature name='note'/>"));
        assertTrue(migration.cookie(Phase.PERFORM).orElseThrow().contains("<hostname>source</hostname>"));
        assertEquals(List.of("ate vm1@begin from source", "ate vm1@perform from source"), hosts.destination().info);
        assertEquals(List.of(), migration.notes());
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

    @Test
    public void aMandatorySectionThatFailsBeforeTheCommitFailsTheMigration() {
        NoteSection failing = new NoteSection();
        failing.failIn = Phase.FINISH;
        assertEquals("cookie section note failed in eat: IllegalStateException: told to fail at finish",
                assertThrows(CookieException.class, () -> TwoHosts.of(failing).migrate()).getMessage());
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
