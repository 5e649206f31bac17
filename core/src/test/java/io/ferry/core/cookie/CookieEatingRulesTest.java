package io.ferry.core.cookie;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Phase;
import io.ferry.core.builtin.MigrationCapabilities;
import io.ferry.core.section.SectionHandle;
import io.ferry.plugin.graphics.GraphicsRelocation;
import io.ferry.plugin.lockstate.LeaseState;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.junit.Test;

/** libvirt's rules for eating a cookie (qemuMigrationCookieXMLParse), with its exact error texts. */
public class CookieEatingRulesTest {
    static final String NAME = "<name>upstream</name>";
    static final String UUID_TEXT = "dcf47dbd-46d1-4d5b-b442-262a806a333a";
    static final String DOMAIN_UUID = "<uuid>" + UUID_TEXT + "</uuid>";
    static final String HOSTNAME = "<hostname>srchost</hostname>";
    static final String REMOTE_HOST = "8b3f4dc4-6a8e-5f9b-94a5-4c35babd8d95";
    static final String HOSTUUID = "<hostuuid>" + REMOTE_HOST + "</hostuuid>";
    static final UUID LOCAL_HOST = UUID.fromString("4a802f00-4cba-5df6-9679-a08c4c5b577f");
    static final String HEADER = NAME + DOMAIN_UUID + HOSTNAME + HOSTUUID;
    static final String GRAPHICS = "<graphics type='vnc' port='5901' listen='10.0.0.2'/>";

    static String cookie(String... parts) {
        return "<qemu-migration>\n" + String.join("\n", parts) + "\n</qemu-migration>\n";
    }

    static EatRules at(Phase phase) {
        return new EatRules(phase, LOCAL_HOST, null, null);
    }

    static ParsedCookie parse(String xml, EatRules rules) throws CookieException {
        return TestSections.codec().parse(xml.getBytes(StandardCharsets.UTF_8), rules, TestSections.all());
    }

    static void assertRefused(String expectedMessage, String xml, EatRules rules) {
        CookieException e = assertThrows(CookieException.class, () -> parse(xml, rules));
        assertEquals(expectedMessage, e.getMessage());
    }

    @Test
    public void missingHeaderElementsAreNamedAsLibvirtDoes() {
        assertRefused("missing name element in migration data", cookie(DOMAIN_UUID, HOSTNAME, HOSTUUID), at(Phase.PREPARE));
        assertRefused("missing uuid element in migration data", cookie(NAME, HOSTNAME, HOSTUUID), at(Phase.PREPARE));
        assertRefused("missing hostname element in migration data", cookie(NAME, DOMAIN_UUID, HOSTUUID), at(Phase.PREPARE));
        assertRefused("missing hostuuid element in migration data", cookie(NAME, DOMAIN_UUID, HOSTNAME), at(Phase.PREPARE));
    }

    @Test
    public void blankHeaderElementCountsAsMissing() {
        assertRefused("missing name element in migration data",
                cookie("<name>  </name>", DOMAIN_UUID, HOSTNAME, HOSTUUID), at(Phase.PREPARE));
    }

    @Test
    public void malformedHostUuidIsRefused() {
        for (String bad : List.of("not-a-uuid", "1-2-3-4-5", REMOTE_HOST + "00", REMOTE_HOST.substring(2))) {
            assertRefused("malformed hostuuid element in migration data",
                    cookie(NAME, DOMAIN_UUID, HOSTNAME, "<hostuuid>" + bad + "</hostuuid>"), at(Phase.PREPARE));
        }
    }

    @Test
    public void hostUuidWithoutDashesIsAcceptedAsLibvirtDoes() throws Exception {
        ParsedCookie parsed = parse(cookie(NAME, DOMAIN_UUID, HOSTNAME,
                "<hostuuid>" + REMOTE_HOST.replace("-", "") + "</hostuuid>"), at(Phase.PREPARE));
        assertEquals(UUID.fromString(REMOTE_HOST), parsed.header().hostUuid());
    }

    @Test
    public void cookieFromThisVeryHostIsRefused() {
        assertRefused("Attempt to migrate guest to the same host " + LOCAL_HOST,
                cookie(NAME, DOMAIN_UUID, HOSTNAME, "<hostuuid>" + LOCAL_HOST + "</hostuuid>"), at(Phase.PREPARE));
    }

    @Test
    public void unexpectedDomainNameOrUuidIsRefused() {
        assertRefused("Incoming cookie data had unexpected name upstream vs other",
                cookie(HEADER), new EatRules(Phase.PREPARE, LOCAL_HOST, "other", null));
        String otherUuid = "00000000-0000-0000-0000-000000000001";
        assertRefused("Incoming cookie data had unexpected UUID " + UUID_TEXT + " vs " + otherUuid,
                cookie(HEADER), new EatRules(Phase.PREPARE, LOCAL_HOST, "upstream", otherUuid));
    }

    @Test
    public void headerIsReadWhenEverythingMatches() throws Exception {
        ParsedCookie parsed = parse(cookie(HEADER), new EatRules(Phase.PREPARE, LOCAL_HOST, "upstream", UUID_TEXT.toUpperCase()));
        assertEquals(new CookieHeader("upstream", UUID_TEXT, "srchost", UUID.fromString(REMOTE_HOST)), parsed.header());
    }

    @Test
    public void unknownFeatureIsRefused() {
        assertRefused("Unknown migration cookie feature memory-hotplug",
                cookie(HEADER, "<feature name='memory-hotplug'/>"), at(Phase.PREPARE));
    }

    @Test
    public void knownFeatureNotEatenInThisPhaseIsUnsupported() {
        // graphics is eaten at Perform only
        assertRefused("Unsupported migration cookie feature graphics",
                cookie(HEADER, "<feature name='graphics'/>", GRAPHICS), at(Phase.PREPARE));
    }

    @Test
    public void knownFeatureEatenInThisPhaseIsListed() throws Exception {
        ParsedCookie parsed = parse(cookie(HEADER, "<feature name='graphics'/>", GRAPHICS), at(Phase.PERFORM));
        assertEquals(List.of("graphics"), parsed.features());
    }

    /** Refused by the parse, and by the read of the announced features that negotiation makes before it. */
    @Test
    public void featureWithoutNameIsRefused() {
        for (String feature : List.of("<feature/>", "<feature name=''/>")) {
            assertRefused("missing feature name", cookie(HEADER, feature), at(Phase.PREPARE));
            byte[] xml = cookie(HEADER, feature).getBytes(StandardCharsets.UTF_8);
            assertEquals("missing feature name",
                    assertThrows(CookieException.class, () -> TestSections.codec().features(xml)).getMessage());
        }
    }

    @Test
    public void unknownOtherElementIsIgnored() throws Exception {
        ParsedCookie parsed = parse(cookie(HEADER, "<frobnicate level='11'><x/></frobnicate>", "<nbd port='1'/>"),
                at(Phase.PERFORM));
        assertEquals("upstream", parsed.header().name());
    }

    @Test
    public void sectionNotEatenInThisPhaseIsNotParsed() throws Exception {
        String malformed = cookie(HEADER, "<graphics type='vnc' listen='10.0.0.2'/>");
        ParsedCookie parsed = parse(malformed, at(Phase.PREPARE));
        assertTrue(parsed.value("graphics").isEmpty());
        assertRefused("missing port attribute in migration data", malformed, at(Phase.PERFORM));
    }

    @Test
    public void onlySectionsEatenInThePhaseAreReturned() throws Exception {
        ParsedCookie parsed = parse(cookie(HEADER, GRAPHICS, "<lockstate driver='sanlock'><leases>l</leases></lockstate>"),
                at(Phase.PREPARE));
        assertEquals(List.of("lockstate", "capabilities"), features(parsed));
        assertEquals(new LeaseState("sanlock", "l"), parsed.value("lockstate").orElseThrow());
        // no <capabilities>: the peer supports none
        assertEquals(MigrationCapabilities.NONE, parsed.value("capabilities").orElseThrow());

        parsed = parse(cookie(HEADER, GRAPHICS), at(Phase.PERFORM));
        assertEquals(List.of("graphics", "capabilities"), features(parsed));
        assertEquals(new GraphicsRelocation("vnc", 5901, "10.0.0.2", null, null), parsed.value("graphics").orElseThrow());
    }

    @Test
    public void absentSectionWithoutDefaultIsLeftOut() throws Exception {
        ParsedCookie parsed = parse(cookie(HEADER), at(Phase.FINISH));
        assertEquals(List.of(), features(parsed));
    }

    @Test
    public void duplicateSectionElementIsRefused() {
        assertRefused("Too many graphics elements in migration cookie",
                cookie(HEADER, GRAPHICS, GRAPHICS), at(Phase.PERFORM));
        assertRefused("Too many graphics elements in migration cookie",
                cookie(HEADER, GRAPHICS, GRAPHICS), EatRules.roundTrip());
    }

    @Test
    public void duplicateSectionElementNotEatenInThePhaseIsIgnored() throws Exception {
        ParsedCookie parsed = parse(cookie(HEADER, GRAPHICS, GRAPHICS), at(Phase.PREPARE));
        assertTrue(parsed.value("graphics").isEmpty());
        assertEquals("upstream", parsed.header().name());
    }

    @Test
    public void wrongRootElementIsRefused() {
        assertRefused("migration cookie has root element <domain>, expected <qemu-migration>",
                "<domain>" + HEADER + "</domain>", at(Phase.PREPARE));
    }

    @Test
    public void sectionErrorComesBeforeAnySectionIsReturned() {
        String bad = cookie(HEADER, GRAPHICS, "<capabilities><cap auto='yes'/></capabilities>");
        assertRefused("missing migration capability name", bad, at(Phase.PERFORM));
    }

    @Test
    public void roundTripRulesAcceptEveryPhasesSections() throws Exception {
        ParsedCookie parsed = parse(cookie(HEADER, "<feature name='graphics'/>", "<feature name='lockstate'/>",
                GRAPHICS, "<lockstate driver='d'/>"), EatRules.roundTrip());
        assertEquals(List.of("graphics", "lockstate"), parsed.features());
        assertEquals(List.of("graphics", "lockstate", "capabilities"), features(parsed));
    }

    private static List<String> features(ParsedCookie parsed) {
        return parsed.sections().stream().map(ParsedCookie.Section::handle).map(SectionHandle::descriptor)
                .map(d -> d.feature()).toList();
    }

    @Test
    public void sameHostCheckIsSkippedWithoutALocalHostUuid() throws Exception {
        EatRules noHostCheck = new EatRules(Phase.PREPARE, null, null, null);
        assertEquals(LOCAL_HOST, parse(cookie(NAME, DOMAIN_UUID, HOSTNAME, "<hostuuid>" + LOCAL_HOST + "</hostuuid>"),
                noHostCheck).header().hostUuid());
    }
}
