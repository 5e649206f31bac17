package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.ferry.launcher.BundleJars;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.Test;

/**
 * {@code bin/ferry cookie …} as scripts use it, offline (a private runtime of the installation) and against real daemons:
 * output, exit status and one-line errors; and {@code ferry migrate --show-cookies}, whose cookies the tools check.
 */
public class CookieToolsIT {
    private static final Path CORPUS = Path.of(System.getProperty("ferry.corpus"));
    private static final Path TEST_SECTION = Path.of(System.getProperty("ferry.test.section"));
    /** The domain of the corpus cookie, as the embedded hypervisor's, with an Open vSwitch NIC. */
    private static final SimDomain UPSTREAM = SimDomain.idle("upstream", 16).withUuid("dcf47dbd-46d1-4d5b-b442-262a806a333a")
            .withDevices("<interface type='bridge'><source bridge='br0'/><virtualport type='openvswitch'/></interface>");
    private static final String OTHER_UUID = "0e5d9c8a-1b2c-4d3e-8f40-5a6b7c8d9e0f";

    @Test
    public void roundTripKeepsTheHeaderAndPrintsTheSectionsFerryImplements() throws Exception {
        Installation.Result result = Installation.ferry("cookie", "roundtrip", withoutHotplug("full-xml2xml-in.xml").toString());
        assertEquals(result.toString(), 0, result.exit());
        assertEquals("", result.err());
        String out = result.out();
        assertTrue(out, out.startsWith("<qemu-migration>\n  <name>upstream</name>"));
        assertTrue(out, out.contains("<hostname>hostname2</hostname>"));
        assertTrue(out, out.contains("<leases>leastest</leases>"));
        assertTrue(out, out.contains("<domain type='kvm'>"));
        assertTrue(out, out.contains("<portdata>testportdata</portdata>"));
        assertTrue(out, out.contains("<cap auto='yes' name='xbzrle'/>"));
        assertFalse("libvirt-only sections are not claimed", out.contains("<nbd") || out.contains("<allowReboot"));
        assertTrue("sections in libvirt's order", out.indexOf("<graphics") < out.indexOf("<lockstate")
                && out.indexOf("<lockstate") < out.indexOf("<domain") && out.indexOf("<network") < out.indexOf("<statistics")
                && out.indexOf("<statistics") < out.indexOf("<capabilities"));
    }

    @Test
    public void aFeatureFerryDoesNotImplementIsUnknown() throws Exception {
        Installation.Result result = Installation.ferry("cookie", "roundtrip", CORPUS.resolve("full-xml2xml-in.xml").toString());
        assertEquals(1, result.exit());
        assertEquals("", result.out());
        assertEquals("error: Unknown migration cookie feature memory-hotplug\n", result.err());
    }

    @Test
    public void checkEatsAsEachPhaseWould() throws Exception {
        String cookie = withoutHotplug("full-xml2xml-in.xml").toString();
        Installation.Result perform = Installation.ferry("cookie", "check", "--phase", "perform", cookie);
        assertEquals(perform.toString(), 0, perform.exit());
        List<String> lines = perform.out().lines().toList();
        assertEquals("cookie accepted by perform; sections eaten: graphics, capabilities", lines.get(lines.size() - 1));
        assertTrue(perform.out(), lines.contains("graphics: eaten; would tell the spice clients to reconnect to test:123"));
        assertTrue(perform.out(), lines.contains("capabilities: eaten"));
        assertTrue(perform.out(), lines.contains("lockstate: not eaten (perform does not eat it; prepare and finish do)"));
        assertTrue(perform.out(), lines.contains("<nbd>: not eaten (no section of this host reads it)"));
        Installation.Result prepare = Installation.ferry("cookie", "check", "--phase", "prepare", cookie);
        assertEquals(1, prepare.exit());
        assertEquals("error: Unsupported migration cookie feature graphics\n", prepare.err());
        Installation.Result sameHost = Installation.ferry("cookie", "check", "--phase", "perform",
                "--local-hostuuid", "8b3f4dc4-6a8e-5f9b-94a5-4c35babd8d95", cookie);
        assertEquals(1, sameHost.exit());
        assertEquals("error: Attempt to migrate guest to the same host 8b3f4dc4-6a8e-5f9b-94a5-4c35babd8d95\n", sameHost.err());
        Installation.Result badPhase = Installation.ferry("cookie", "check", "--phase", "begin2", cookie);
        assertEquals(1, badPhase.exit());
        assertTrue(badPhase.err(), badPhase.err().startsWith("error: unknown phase 'begin2'"));
    }

    @Test
    public void checkWithTheDomainEatsLikeTheMigrationAndFailsWithTheFailingSectionsMessage() throws Exception {
        // Finish eats no graphics, so a cookie that announces it would be refused before any section ate
        String cookie = without("full-xml2xml-in.xml", "hotplug", "<feature name='graphics'/>").toString();
        String domain = UPSTREAM.file().toString();
        Installation.Result finish = Installation.ferry("cookie", "check", "--phase", "finish", "--domain-xml", domain, cookie);
        String mismatch = "lock manager mismatch: the source uses blurb, this host file; both hosts must use the same one";
        assertEquals(finish.toString(), 1, finish.exit());
        assertEquals("error: " + mismatch + "\n", finish.err());
        List<String> lines = finish.out().lines().toList();
        assertTrue(finish.out(), lines.contains("lockstate: failed: " + mismatch));
        assertTrue(finish.out(), lines.contains("persistent: not eaten (finish stopped at lockstate)"));
        assertTrue(finish.out(), lines.contains("network: not eaten (finish stopped at lockstate)"));

        Installation.Result otherDomain = Installation.ferry("cookie", "check", "--phase", "finish", "--domain-xml",
                UPSTREAM.withUuid(OTHER_UUID).file().toString(), cookie);
        assertEquals(1, otherDomain.exit());
        assertEquals("error: Incoming cookie data had unexpected UUID dcf47dbd-46d1-4d5b-b442-262a806a333a vs " + OTHER_UUID + "\n",
                otherDomain.err());
        Path nameless = Installation.file("nameless", ".xml", "<domain type='sim'><memory unit='MiB'>16</memory></domain>");
        Installation.Result bad = Installation.ferry("cookie", "check", "--phase", "finish", "--domain-xml", nameless.toString(), cookie);
        assertEquals(1, bad.exit());
        assertEquals("", bad.out());
        assertEquals("error: " + nameless + ": missing domain name\n", bad.err());
    }

    @Test
    public void bakeWithTheDomainBakesWhatAMigrationOfItWould() throws Exception {
        String domain = UPSTREAM.withDisk("/images/upstream.img").file().toString();
        String perform = Installation.ferryOk("cookie", "bake", "--phase", "perform", "--domain-xml", domain).out();
        assertTrue(perform, perform.contains("<name>upstream</name>\n  <uuid>dcf47dbd-46d1-4d5b-b442-262a806a333a</uuid>"));
        assertTrue("the persistent definition", perform.contains("<domain type='sim'>"));
        assertTrue("the NIC, without port data (no OVSDB here)", perform.contains("<interface index='0' vporttype='openvswitch'/>"));
        assertTrue("lease state: none held here", perform.contains("<lockstate driver='file'>"));
        String plain = Installation.ferryOk("cookie", "bake", "--phase", "perform", "--name", "upstream", "--uuid",
                "dcf47dbd-46d1-4d5b-b442-262a806a333a").out();
        assertFalse(plain, plain.contains("<domain") || plain.contains("<network") || plain.contains("<lockstate"));

        Installation.Result conflict = Installation.ferry("cookie", "bake", "--phase", "perform", "--domain-xml", domain,
                "--name", "downstream");
        assertEquals(1, conflict.exit());
        assertEquals("error: name 'downstream' conflicts with " + domain + ", which defines domain 'upstream'\n", conflict.err());
        Installation.Result uuidConflict = Installation.ferry("cookie", "bake", "--phase", "perform", "--domain-xml", domain,
                "--uuid", OTHER_UUID);
        assertEquals(1, uuidConflict.exit());
        assertEquals("error: uuid '" + OTHER_UUID + "' conflicts with " + domain
                + ", whose domain has UUID dcf47dbd-46d1-4d5b-b442-262a806a333a\n", uuidConflict.err());
    }

    @Test
    public void aRealMigrationsCookiesAreShownAndCheckedOnTheRealDaemonWhichChangesNothing() throws Exception {
        // a fresh OVSDB a side, as OvsPortDataIT: a test whose component is missing fails
        assertTrue("ovsdb-server, ovsdb-tool and ovs-vsctl are not installed (.ci/run installs them)", OvsdbServer.available());
        Path leases = Files.createDirectories(Installation.WORK.resolve("leases-cookies-" + System.nanoTime()));
        SimDomain vm = UPSTREAM.withName("cookie-vm").withUuid(UUID.randomUUID()).withDisk("/images/cookie-vm.img");
        String iface = "fe" + vm.uuid().toString().substring(0, 8) + "n0";
        try (OvsdbServer ovsA = OvsdbServer.start("ca"); OvsdbServer ovsB = OvsdbServer.start("cb")) {
            ovsA.vsctl("add-br", "br0");
            ovsB.vsctl("add-br", "br0");
            try (DaemonProcess a = DaemonProcess.start("cookies-a", "--lease-dir", leases.toString(), "--ovsdb", ovsA.db());
                    DaemonProcess b = DaemonProcess.start("cookies-b", "--lease-dir", leases.toString(), "--ovsdb", ovsB.db())) {
                a.boot(vm);
                ovsA.vsctl("set", "Interface", iface, "external_ids:PortData=flow-7");

                String transcript = a.ferryOk("migrate", "--live", "--show-cookies", vm.name(), b.url()).out();
                for (String step : new String[] {"== Begin on " + a.url() + ", cookie out:", "== Prepare on " + b.url() + ", cookie out:",
                        "== Perform on " + a.url() + ", cookie out:", "== Finish on " + b.url() + ", cookie out:",
                        "== Confirm on " + a.url() + " (no cookie out)"}) {
                    assertTrue(step + " in\n" + transcript, transcript.contains(step + "\n"));
                }
                String perform = cookieOf(transcript, "Perform");
                assertTrue(perform, perform.contains("<portdata>flow-7</portdata>") && perform.contains("<lockstate driver='file'>"));

                // the destination, as its Finish would eat that cookie: everything eaten, nothing written, no lease taken
                ovsB.vsctl("set", "Interface", iface, "external_ids:PortData=changed-since");
                Map<Path, String> leasesBefore = contents(leases);
                Path cookie = Installation.file("perform", ".xml", perform);
                Installation.Result check = b.ferry("cookie", "check", "--phase", "finish", "--domain-xml", vm.file().toString(),
                        cookie.toString());
                assertEquals(check.toString(), 0, check.exit());
                List<String> lines = check.out().lines().toList();
                assertEquals(check.out(), "cookie accepted by finish; sections eaten: lockstate, network, statistics",
                        lines.get(lines.size() - 1));
                assertTrue(check.out(), lines.stream().anyMatch(l -> l.startsWith("lockstate: eaten; would acquire the domain's disk leases with file state '")));
                assertTrue(check.out(), lines.contains("network: eaten; would write the port data of interface 0 on " + iface + " in " + ovsB.db()));
                assertEquals("changed-since", ovsB.vsctl("get", "Interface", iface, "external_ids:PortData"));
                assertEquals(leasesBefore, contents(leases));

                // the lock manager's check is real: a source of another manager is refused, with lockstate's own words
                Path zookeeper = Installation.file("perform-zk", ".xml", perform.replace("<lockstate driver='file'>", "<lockstate driver='zookeeper'>"));
                Installation.Result refused = b.ferry("cookie", "check", "--phase", "finish", "--domain-xml", vm.file().toString(),
                        zookeeper.toString());
                String mismatch = "lock manager mismatch: the source uses zookeeper, this host file; both hosts must use the same one";
                assertEquals(refused.toString(), 1, refused.exit());
                assertEquals("error: " + mismatch + "\n", refused.err());
                assertTrue(refused.out(), refused.out().lines().anyMatch(("lockstate: failed: " + mismatch)::equals));

                // peer-to-peer: the source daemon hands its transcript over when the migration completes
                String back = b.ferryOk("migrate", "--live", "--p2p", "--show-cookies", vm.name(), a.url()).out();
                assertTrue(back, back.contains("== Begin on ") && back.contains("== Finish on " + a.url() + ", cookie out:\n<qemu-migration migration="));
                assertTrue(back, cookieOf(back, "Perform").contains("<portdata>changed-since</portdata>"));
                Installation.Result failed = a.ferry("migrate", "--live", "--p2p", "--show-cookies", "no-such-vm", b.url());
                assertEquals(1, failed.exit());
                assertTrue(failed.err(), failed.err().startsWith("error: ") && failed.err().endsWith(" (no cookies to show: with --p2p the"
                        + " source daemon drives the migration and hands its cookies over only when it completes; migrate without --p2p"
                        + " to see them up to a failure)\n"));
            }
        }
    }

    @Test
    public void aSectionBuiltBeforeChecksIsNotEatenByACheck() throws Exception {
        Path old = BundleJars.withImportRange(TEST_SECTION, "io.ferry.api.cookie", "[1.1,2)",
                Installation.work().resolve("test-section-api-1.1-" + System.nanoTime() + ".jar"));
        try (DaemonProcess daemon = DaemonProcess.start("cookies-old-api")) {
            BundleJars.dropInto(old, daemon.deployDir, "test-section.jar");
            Poll.until("the probe section", () -> daemon.ferryOk("sections").out().lines().anyMatch(l -> l.startsWith(" probe ")));
            Path cookie = Installation.file("probe", ".xml", "<qemu-migration><name>vm</name><uuid>" + OTHER_UUID + "</uuid>"
                    + "<hostname>src</hostname><hostuuid>8b3f4dc4-6a8e-5f9b-94a5-4c35babd8d95</hostuuid><feature name='probe'/>"
                    + "<probe bundle-version='1.0.0' domain='vm'/></qemu-migration>");
            Installation.Result check = daemon.ferry("cookie", "check", "--phase", "prepare", cookie.toString());
            assertEquals(check.toString(), 0, check.exit());
            assertEquals("capabilities: eaten\n"
                    + "probe: not eaten (built against io.ferry.api.cookie 1.1, before 1.2: it cannot know a check from a migration)\n"
                    + "cookie accepted by prepare; sections eaten: capabilities\n", check.out());
        }
    }

    /** The cookie a phase baked, from a {@code --show-cookies} transcript. */
    private static String cookieOf(String transcript, String phase) {
        int start = transcript.indexOf("\n", transcript.indexOf("== " + phase + " on ")) + 1;
        int end = transcript.indexOf("\n== ", start);
        return transcript.substring(start, end < 0 ? transcript.length() : end + 1);
    }

    private static Map<Path, String> contents(Path directory) throws Exception {
        Map<Path, String> files = new TreeMap<>();
        try (var paths = Files.walk(directory)) {
            for (Path path : paths.filter(Files::isRegularFile).toList()) {
                files.put(path, Files.readString(path));
            }
        }
        return files;
    }

    @Test
    public void hostileCookiesAreRefusedWithOneLineAndLeakNothing() throws Exception {
        Path secret = Files.writeString(Files.createTempFile(Installation.WORK, "secret", ".txt"), "TOP-SECRET-CONTENT");
        String header = "<qemu-migration><name>x</name><uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid>"
                + "<hostname>h</hostname><hostuuid>1b4e28ba-2fa1-11d2-883f-0016d3cca428</hostuuid>";
        String xxe = "<?xml version='1.0'?><!DOCTYPE q [<!ENTITY s SYSTEM '" + secret.toUri() + "'>]>"
                + header + "<graphics type='vnc' port='1' listen='&s;'/></qemu-migration>";
        String laughs = "<?xml version='1.0'?><!DOCTYPE q [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>"
                + "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'><!ENTITY d '&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;'>]>"
                + header + "<name>&d;</name></qemu-migration>";
        String deep = header + "<x>".repeat(100_000) + "</x>".repeat(100_000) + "</qemu-migration>";
        String oversize = header + "<!--" + " ".repeat(5 * 1024 * 1024) + "--></qemu-migration>";
        String halfWritten = header + "<graphics type='vnc' por";
        for (String hostile : new String[] {xxe, laughs, deep, oversize, halfWritten, "not xml at all"}) {
            Path file = Files.writeString(Files.createTempFile(Installation.WORK, "hostile", ".xml"), hostile);
            Installation.Result result = Installation.ferry("cookie", "roundtrip", file.toString());
            String summary = hostile.substring(0, Math.min(60, hostile.length()));
            assertEquals(summary + "\n" + result, 1, result.exit());
            assertEquals(summary, "", result.out());
            assertTrue(summary + "\n" + result.err(), result.err().startsWith("error: ") && result.err().indexOf('\n') == result.err().length() - 1);
            assertFalse(result.err().contains("TOP-SECRET") || result.err().contains("Exception"));
        }
    }

    @Test
    public void aMissingFileIsNamed() throws Exception {
        Installation.Result result = Installation.ferry("cookie", "roundtrip", "/nonexistent/cookie.xml");
        assertEquals(1, result.exit());
        assertEquals("error: no such file: /nonexistent/cookie.xml\n", result.err());
    }

    @Test
    public void offlineSectionsListsEverySectionTheDistributionShips() throws Exception {
        Installation.Result result = Installation.ferry("sections");
        assertEquals(result.toString(), 0, result.exit());
        for (String row : new String[] {"graphics", "lockstate", "persistent", "network", "statistics", "capabilities", "snapshots"}) {
            assertTrue(row + " in\n" + result.out(), result.out().lines().anyMatch(line -> line.startsWith(" " + row + " ")));
        }
        assertTrue(result.out(), result.out().contains(" lockstate      lockstate      1.0       when-baked   begin,perform    prepare,finish    io.ferry.plugin.lockstate"));
    }

    @Test
    public void offlineSectionsListsASectionDroppedIntoDeployAndForgetsItOnceRemoved() throws Exception {
        Path home = Installation.copyTo(
                Files.createDirectories(Installation.work().resolve("offline-deploy-" + System.nanoTime())));
        String ferry = home.resolve("bin/ferry").toString();
        Files.copy(TEST_SECTION, home.resolve("deploy/probe.jar"));
        // a fragment beside it (a logging or settings fragment, say) is attached, not started: starting one fails
        BundleJars.fragment("io.ferry.test.fragment", "io.ferry.test.section", home.resolve("deploy/probe-fragment.jar"));
        Installation.Result with = Installation.run(null, ferry, "sections");
        assertEquals(with.toString(), 0, with.exit());
        assertTrue(with.out(), with.out().contains(" io.ferry.test.section"));

        Files.delete(home.resolve("deploy/probe.jar"));
        Installation.Result without = Installation.run(null, ferry, "sections");
        assertEquals(without.toString(), 0, without.exit());
        assertFalse(without.out(), without.out().contains("io.ferry.test.section"));
        assertTrue(without.out(), without.out().lines().anyMatch(line -> line.startsWith(" lockstate ")));
    }

    @Test
    public void anInstallationWhosePathHoldsASpaceRuns() throws Exception {
        // the start script's class-data archive option was split at the space: java took its tail for the class
        Path home = Installation.copyTo(
                Files.createDirectories(Installation.work().resolve("ferry " + System.nanoTime())));
        assertTrue("the class-data archive is shipped", Files.isReadable(home.resolve("lib/ferry-cli.jsa")));
        Installation.Result sections = Installation.run(null, home.resolve("bin/ferry").toString(), "sections");
        assertEquals(sections.toString(), 0, sections.exit());
        assertTrue(sections.out(), sections.out().lines().anyMatch(line -> line.startsWith(" lockstate ")));
    }

    private static Path withoutHotplug(String corpusFile) throws Exception {
        return without(corpusFile, "hotplug");
    }

    /** A corpus cookie without the lines that contain any of {@code fragments}. */
    private static Path without(String corpusFile, String... fragments) throws Exception {
        String text = Files.readString(CORPUS.resolve(corpusFile), StandardCharsets.UTF_8);
        String cleaned = text.lines().filter(line -> List.of(fragments).stream().noneMatch(line::contains))
                .reduce("", (a, b) -> a + b + "\n");
        Files.createDirectories(Installation.WORK);
        return Files.writeString(Files.createTempFile(Installation.WORK, corpusFile, ".xml"), cleaned);
    }
}
