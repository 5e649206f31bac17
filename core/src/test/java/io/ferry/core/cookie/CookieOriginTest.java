package io.ferry.core.cookie;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Phase;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.junit.Test;

/**
 * The migration and phase a cookie names on its root ({@link CookieHeader.Origin}), beyond libvirt's envelope: read
 * when there, absent in libvirt's cookies, and a malformed one refused in one line of bounded length, since it is a
 * peer's text.
 */
public class CookieOriginTest {
    private final CookieCodec codec = new CookieCodec(new HardenedXmlParser());

    private CookieHeader header(String rootAttributes) throws CookieException {
        String xml = "<qemu-migration" + rootAttributes + "><name>vm</name><uuid>4f1c1a2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b</uuid>"
                + "<hostname>src</hostname><hostuuid>9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d</hostuuid></qemu-migration>";
        return codec.parse(xml.getBytes(StandardCharsets.UTF_8), EatRules.roundTrip(), TestSections.of()).header();
    }

    @Test
    public void aCookieNamesItsMigrationAndPhaseOrNothing() throws Exception {
        assertEquals(new CookieHeader.Origin("m-1", Phase.PERFORM), header(" migration='m-1' phase='perform'").origin());
        assertNull("libvirt's cookie", header("").origin());
    }

    /** What a daemon writes names the cookie's origin, so that its peer can refuse it in another migration or phase. */
    @Test
    public void aCookieIsWrittenNamingItsOriginAndLibvirtsHeaderWithout() throws Exception {
        CookieHeader.Origin origin = new CookieHeader.Origin("m-1", Phase.PERFORM);
        CookieHeader named = new CookieHeader("vm", "4f1c1a2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b", "src",
                UUID.fromString("9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"), origin);
        String written = codec.format(named, List.of(), List.of());
        assertTrue(written, written.startsWith("<qemu-migration migration='m-1' phase='perform'>"));
        assertEquals(origin, codec.parse(written.getBytes(StandardCharsets.UTF_8), EatRules.roundTrip(), TestSections.of())
                .header().origin());
        String libvirts = codec.format(new CookieHeader(named.name(), named.uuid(), named.hostname(), named.hostUuid()),
                List.of(), List.of());
        assertTrue(libvirts, libvirts.startsWith("<qemu-migration>"));
    }

    @Test
    public void aMalformedOriginIsRefusedInOneBoundedLine() {
        CookieException e = assertThrows(CookieException.class,
                () -> header(" migration='&#10;forged&#155;2J" + "x".repeat(5000) + "' phase='nonsense'"));
        assertEquals("malformed origin of the migration cookie: migration '\\u000aforged\\u009b2J" + "x".repeat(54)
                + "', phase 'nonsense'",
                e.getMessage());
        assertThrows(CookieException.class, () -> header(" phase='perform'"));
    }
}
