package io.ferry.core.domain;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.util.List;
import java.util.Locale;
import org.junit.Test;

/** What the domain parser accepts, the daemon can store and read again. */
public class DomainXmlTest {
    private static final String ONE_LINE = "<domain type='sim'><name>a</name><uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid>"
            + "<memory>1</memory><devices><disk/><disk/><disk/><disk/></devices></domain>";
    /** Domain, devices, disk: the deepest definition a limit of 4 accepts, its status file one level deeper. */
    private static final HardenedXmlParser PARSER = new HardenedXmlParser(4096, 4);
    private static final DomainXml DOMAINS = new DomainXml(PARSER);

    @Test
    public void aDefinitionOverTheLimitOnceFormattedIsRefusedNamingBothSizes() {
        // within the limit as sent, over it with the indentation the stored form has
        HardenedXmlParser parser = new HardenedXmlParser(ONE_LINE.length() + 10, 64);
        CookieException e = assertThrows(CookieException.class, () -> new DomainXml(parser).parse(ONE_LINE));
        assertEquals("domain definition is 193 bytes once formatted, over the limit of " + (ONE_LINE.length() + 10) + " bytes",
                e.getMessage());
    }

    /**
     * A definition's name becomes a file name in the state directory and its size the guest's memory: what is not one
     * is refused, naming what is wrong, before anything is stored.
     */
    @Test
    public void malformedDefinitionsAreRefusedNamingWhatIsWrong() {
        String uuid = "<uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid>";
        refused("<vm type='sim'><name>a</name></vm>", "domain definition has root element <vm>, expected <domain>");
        refused("<domain><name>a</name><memory>1</memory></domain>", "missing domain type attribute");
        refused("<domain type='sim'><memory>1</memory></domain>", "missing domain name");
        for (String name : new String[] {"../etc", "a/b", ".hidden", "a b", "x".repeat(65)}) {
            refused("<domain type='sim'><name>" + name + "</name><memory>1</memory></domain>",
                    "invalid domain name '" + name + "': letters, digits, '.', '_', '+', '-' only");
        }
        for (String malformed : new String[] {"1-2-3-4-5", "+1b4e28ba-2fa1-11d2-883f-0016d3cca427",
                "1b4e28ba-2fa1-11d2-883f-0016d3cca42"}) {
            refused("<domain type='sim'><name>a</name><uuid>" + malformed + "</uuid><memory>1</memory></domain>",
                    "malformed domain uuid '" + malformed + "'");
        }
        refused("<domain type='sim'><name>a</name>" + uuid + "</domain>", "missing memory element in domain definition");
        refused("<domain type='sim'><name>a</name>" + uuid + "<memory unit='pages'>1</memory></domain>",
                "unknown memory unit 'pages'");
        for (String size : new String[] {"0", "-1", "lots", "9223372036854775807"}) {
            refused("<domain type='sim'><name>a</name>" + uuid + "<memory unit='GiB'>" + size + "</memory></domain>",
                    "malformed memory size '" + size + "'");
        }
        refused("<domain type='sim'><name>a</name>" + uuid + "<memory>1</memory><vcpu>0</vcpu></domain>",
                "malformed vcpu count '0'");
    }

    /** A UUID as libvirt reads one: dashes or spaces between the pairs of its 32 hex digits, or none, either case. */
    @Test
    public void aUuidIsReadAsLibvirtReadsIt() throws CookieException {
        for (String text : new String[] {"1B4E28BA-2FA1-11D2-883F-0016D3CCA427", "1b4e28ba2fa111d2883f0016d3cca427",
                "1b 4e 28 ba 2f a1 11 d2 88 3f 00 16 d3 cc a4 27"}) {
            DomainSpec spec = new DomainXml(new HardenedXmlParser()).parse(
                    "<domain type='sim'><name>a</name><uuid>" + text + "</uuid><memory>1</memory></domain>");
            assertEquals(text, java.util.UUID.fromString("1b4e28ba-2fa1-11d2-883f-0016d3cca427"), spec.uuid());
        }
    }

    /** A disk's source, target, access mode and format, as the leases and the --xml check read them. */
    @Test
    public void aDiskIsReadWithItsAccessModeAndFormat() throws CookieException {
        DomainSpec spec = new DomainXml(new HardenedXmlParser()).parse("<domain type='sim'><name>a</name>"
                + "<uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid><memory>1</memory><devices>"
                + "<disk type='file'><driver name='qemu' type='qcow2'/><source file='/d/a.qcow2'/><target dev='vda'/></disk>"
                + "<disk type='file'><source file='/d/b.iso'/><target dev='vdb'/><readonly/></disk>"
                + "<disk type='block'><source dev='/dev/sdc'/><target dev='vdc'/></disk></devices></domain>");
        assertEquals(List.of(new DomainSpec.Disk("/d/a.qcow2", "vda", false, "qcow2"),
                new DomainSpec.Disk("/d/b.iso", "vdb", true, null), new DomainSpec.Disk("/dev/sdc", "vdc")), spec.disks());
    }

    private static void refused(String xml, String message) {
        CookieException e = assertThrows(xml, CookieException.class, () -> new DomainXml(new HardenedXmlParser()).parse(xml));
        assertEquals(xml, message, e.getMessage());
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

    /**
     * The migration away that paused a VM reads back as written, with the leases its switch-over released or without
     * (leases off, or paused before its memory moved); a status file of an earlier version, which has none, names none.
     */
    @Test
    public void theMigrationAPausedVmIsPausedForReadsBack() throws CookieException {
        StatusXml status = new StatusXml(PARSER, DOMAINS);
        DomainSpec spec = DOMAINS.parse(ONE_LINE);
        for (ReleasedLeases released : new ReleasedLeases[] {null, ReleasedLeases.withState("3f2a:7", "m-1")}) {
            String held = released == null ? "3f2a:6" : null;
            StatusXml.Status paused = new StatusXml.Status(spec, DomainState.PAUSED, DomainState.Reason.MIGRATION,
                    released, held, "m-1");
            assertEquals(paused, status.read(status.write(paused)));
        }
        String earlier = "<domstatus state='paused' reason='migration'>\n" + ONE_LINE + "</domstatus>\n";
        assertEquals(new StatusXml.Status(spec, DomainState.PAUSED, DomainState.Reason.MIGRATION, null),
                status.read(earlier));
    }

    /**
     * In a Turkish locale "migrated" upper-cases to "MİGRATED" (dotted capital I) and "running" lower-cases to
     * "runnıng": a guest that arrived by migration, an incoming VM and a source paused for a migration were unreadable
     * at the daemon's next start. The file is the same in every locale, and one an earlier build wrote there reads
     * back.
     */
    @Test
    public void aStatusFileIsTheSameInATurkishLocale() throws CookieException {
        StatusXml status = new StatusXml(PARSER, DOMAINS);
        DomainSpec spec = DOMAINS.parse(ONE_LINE);
        StatusXml.Status arrived = new StatusXml.Status(spec, DomainState.RUNNING, DomainState.Reason.MIGRATED, null);
        StatusXml.Status paused = new StatusXml.Status(spec, DomainState.PAUSED, DomainState.Reason.MIGRATION, null,
                "3f2a:6", "m-1");
        StatusXml.Status canceled = new StatusXml.Status(spec, DomainState.RUNNING,
                DomainState.Reason.MIGRATION_CANCELED, null);
        String written = status.write(arrived);
        Locale before = Locale.getDefault();
        Locale.setDefault(Locale.forLanguageTag("tr-TR"));
        try {
            assertEquals("what a daemon in another locale wrote", arrived, status.read(written));
            assertEquals(written, status.write(arrived));
            assertEquals(paused, status.read(status.write(paused)));
            assertEquals(canceled, status.read(status.write(canceled)));
        } finally {
            Locale.setDefault(before);
        }
        String earlierInTurkish = "<domstatus state='runn\u0131ng' reason='migrated'>\n" + ONE_LINE + "</domstatus>\n";
        assertEquals(arrived, status.read(earlierInTurkish));
    }

    private static void assertStatusReadsBack(ReleasedLeases released) throws CookieException {
        StatusXml status = new StatusXml(PARSER, DOMAINS);
        DomainSpec spec = DOMAINS.parse(ONE_LINE);
        assertEquals(new StatusXml.Status(spec, DomainState.PAUSED, DomainState.Reason.MIGRATION, released),
                status.read(status.write(spec, DomainState.PAUSED, DomainState.Reason.MIGRATION, released)));
    }
}
