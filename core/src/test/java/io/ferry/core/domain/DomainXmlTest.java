package io.ferry.core.domain;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.protocol.xml.HardenedXmlParser;
import org.junit.Test;

/** What the domain parser accepts, the daemon can store and read again. */
public class DomainXmlTest {
    private static final String ONE_LINE = "<domain type='sim'><name>a</name><uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid>"
            + "<memory>1</memory><devices><disk/><disk/><disk/><disk/></devices></domain>";

    @Test
    public void aDefinitionOverTheLimitOnceFormattedIsRefusedNamingBothSizes() {
        // within the limit as sent, over it with the indentation the stored form has
        HardenedXmlParser parser = new HardenedXmlParser(ONE_LINE.length() + 10, 64);
        CookieException e = assertThrows(CookieException.class, () -> new DomainXml(parser).parse(ONE_LINE));
        assertEquals("domain definition is 193 bytes once formatted, over the limit of " + (ONE_LINE.length() + 10) + " bytes",
                e.getMessage());
    }

    @Test
    public void theStatusFileOfADefinitionAtTheDepthLimitReadsBack() throws CookieException {
        assertStatusReadsBack(null);
    }

    /** A paused VM's released leases, their state or why they are lost, read back as written, whatever they say. */
    @Test
    public void theReleasedLeasesOfAPausedVmReadBack() throws CookieException {
        assertStatusReadsBack(ReleasedLeases.withState("3f2a:7,<b>&'c':8", "m-1"));
        assertStatusReadsBack(ReleasedLeases.withState("", null));
        assertStatusReadsBack(ReleasedLeases.releasing("3f2a:7", "m-2"));
        assertStatusReadsBack(ReleasedLeases.lostTo("resource /disks/a'b\".img is held by <other> & co"));
    }

    private static void assertStatusReadsBack(ReleasedLeases released) throws CookieException {
        // domain, devices, disk: the deepest definition a limit of 4 accepts, its status file one level deeper
        HardenedXmlParser parser = new HardenedXmlParser(4096, 4);
        DomainXml domains = new DomainXml(parser);
        StatusXml status = new StatusXml(parser, domains);
        DomainSpec spec = domains.parse(ONE_LINE);
        assertEquals(new StatusXml.Status(spec, DomainState.PAUSED, DomainState.Reason.MIGRATION, released),
                status.read(status.write(spec, DomainState.PAUSED, DomainState.Reason.MIGRATION, released)));
    }
}
