package com.example.ferry.clock;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.testkit.CookieRoundTrip;
import io.ferry.testkit.Domains;
import io.ferry.testkit.SectionMetadata;
import io.ferry.testkit.TwoHosts;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.Test;

public class ClockSectionTest {
    private static final DomainSpec VM1 = Domains.fromXml("""
            <domain type='sim'>
              <name>vm1</name>
              <uuid>6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b</uuid>
              <memory unit='MiB'>16</memory>
              <vcpu>1</vcpu>
              <clock offset='variable' adjustment='3600'/>
            </domain>""");

    @Test
    public void theDaemonRegistersItAsAnOptionalSectionOfPerformAndFinish() {
        SectionMetadata clock = SectionMetadata.of(ClockSection.class);
        assertEquals("clock", clock.feature());
        assertEquals("clock", clock.element());
        assertEquals("1.0", clock.version());
        assertEquals(Mandatory.NEVER, clock.mandatory());
        assertEquals(Set.of(Phase.PERFORM), clock.bakes());
        assertEquals(Set.of(Phase.FINISH), clock.eats());
    }

    @Test
    public void theOffsetSurvivesTheRealCookieCodec() throws Exception {
        CookieRoundTrip<ClockOffset> trip = CookieRoundTrip.of(new ClockSection());
        ClockOffset offset = new ClockOffset("variable", -7200, 1_764_000_000_123L);
        assertEquals(offset, trip.roundTrip(offset));
        assertTrue(trip.cookie(offset), trip.cookie(offset).contains("<clock adjustment='-7200' offset='variable' sent='1764000000123'/>"));
        assertEquals("missing offset attribute in clock section",
                assertThrows(CookieException.class, () -> trip.parse("<clock sent='1'/>", Phase.FINISH)).getMessage());
        assertEquals("malformed adjustment 'soon' in clock section", assertThrows(CookieException.class,
                () -> trip.parse("<clock offset='variable' adjustment='soon' sent='1'/>", Phase.FINISH)).getMessage());
    }

    @Test
    public void theDestinationLearnsTheGuestsClockAndHowFarBehindItIs() throws Exception {
        TwoHosts<ClockOffset> hosts = TwoHosts.between(new ClockSection(() -> 1_000_000), SectionMetadata.of(ClockSection.class),
                new ClockSection(() -> 1_000_250), SectionMetadata.of(ClockSection.class)).domain(VM1);
        TwoHosts.Migration<ClockOffset> migration = hosts.migrate();
        assertEquals(Optional.of(new ClockOffset("variable", 3600, 1_000_000)), migration.eaten(Phase.FINISH));
        assertTrue(migration.cookie(Phase.PERFORM).orElseThrow().contains("<clock adjustment='3600' offset='variable' sent='1000000'/>"));
        assertEquals(List.of("guest clock variable +3600 s from source, paused there 250 ms ago by this host's clock"), hosts.destination().info);
        assertEquals(List.of(), hosts.destination().warn);
    }

    @Test
    public void aClockFarBehindOrAnotherDefinitionIsWarnedAbout() throws Exception {
        DomainSpec utc = Domains.fromXml(VM1.xml().replaceAll("<clock[^>]*/>", ""));
        TwoHosts<ClockOffset> hosts = TwoHosts.between(new ClockSection(() -> 1_000_000), SectionMetadata.of(ClockSection.class),
                new ClockSection(() -> 1_005_000), SectionMetadata.of(ClockSection.class));
        hosts.source().domain(VM1);
        hosts.destination().domain(utc);
        hosts.migrate();
        assertEquals(List.of("the guest's clock will be 5000 ms behind: a slow switch-over, or the clocks of source and destination differ",
                "the destination's definition sets the clock utc +0 s, the guest ran with variable +3600 s"), hosts.destination().warn);
    }

    @Test
    public void aNewerMinorVersionStillEatsIt() throws Exception {
        TwoHosts.Migration<ClockOffset> migration = TwoHosts.between(new ClockSection(), SectionMetadata.of(ClockSection.class),
                new ClockSection(), SectionMetadata.of(ClockSection.class).withVersion("1.3")).domain(VM1).migrate();
        assertEquals(3600, migration.eaten(Phase.FINISH).orElseThrow().adjustmentSeconds());
    }

    @Test
    public void aDestinationOfAnotherMajorVersionDropsItWithoutParsing() throws Exception {
        TwoHosts.Migration<ClockOffset> migration = TwoHosts.between(new ClockSection(), SectionMetadata.of(ClockSection.class),
                new ClockSection(), SectionMetadata.of(ClockSection.class).withVersion("2.0")).domain(VM1).migrate();
        assertEquals(List.of("cookie section clock: the peer has version 1.0 and this host 2.0: not used in this migration"), migration.notes());
        assertEquals(Optional.empty(), migration.eaten(Phase.FINISH));
        assertEquals(Optional.empty(), migration.cookie(Phase.PERFORM));
    }
}
