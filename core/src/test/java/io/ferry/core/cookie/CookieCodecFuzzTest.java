package io.ferry.core.cookie;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.CookieSection;
import io.ferry.core.builtin.CapabilitiesSection;
import io.ferry.core.builtin.PersistentSection;
import io.ferry.core.builtin.StatisticsSection;
import io.ferry.core.section.SectionFailure;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSet;
import io.ferry.core.section.SectionSource;
import io.ferry.plugin.graphics.GraphicsSection;
import io.ferry.plugin.lockstate.LockstateSection;
import io.ferry.plugin.ovs.NetworkSection;
import io.ferry.plugin.snapshots.SnapshotsSection;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The cookie codec on hostile bytes: every phase's eating rules and the round-trip tool's either accept a
 * cookie or refuse it with a one-line {@link CookieException} of the codec or a section (never a
 * {@link SectionFailure} caused by something else a section threw), and a cookie the round trip accepts
 * formats to a cookie that parses to the same header, features and sections and formats to the same bytes.
 * Seeds: libvirt's corpus and Ferry's own cookies; kept findings beside them in
 * {@code src/test/resources/io/ferry/core/cookie/CookieCodecFuzzTestInputs/}.
 */
class CookieCodecFuzzTest {
    private static final UUID LOCAL_HOST = UUID.fromString("8b3f4e6c-2a1d-4f5e-9c7b-0d1e2f3a4b5c");
    private static final CookieCodec CODEC = TestSections.codec();
    /** Runs a section's calls on the calling thread: the fuzzer wants millions of them. */
    private static final ExecutorService INLINE = new AbstractExecutorService() {
        @Override
        public void execute(Runnable command) {
            command.run();
        }

        @Override
        public void shutdown() {
        }

        @Override
        public List<Runnable> shutdownNow() {
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return false;
        }

        @Override
        public boolean isTerminated() {
            return false;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return true;
        }
    };
    /** Every section Ferry ships: the core's, graphics, lockstate, network and snapshots. */
    private static final SectionSet SECTIONS = TestSections.of(inline(TestSections.persistent(), new PersistentSection()),
            inline(TestSections.statistics(), new StatisticsSection()),
            inline(TestSections.capabilities(), new CapabilitiesSection()),
            inline(TestSections.graphics(), new GraphicsSection()), inline(TestSections.lockstate(), new LockstateSection()),
            inline(TestSections.network(), new NetworkSection()),
            inline(TestSections.handle(new SnapshotsSection(null), "snapshots", "snapshots", Mandatory.WHEN_BAKED,
                    List.of(Phase.BEGIN), List.of(Phase.PREPARE)), new SnapshotsSection(null)));

    @DictionaryEntries({"<qemu-migration>", "</qemu-migration>", "<name>", "</name>", "<uuid>", "</uuid>", "<hostname>",
            "</hostname>", "<hostuuid>", "</hostuuid>", "<feature name='", "<graphics", "<lockstate", "<domain",
            "<network", "<statistics", "<capabilities", "<snapshots count='", " digest='sha256:", "<cap name='",
            " auto='yes'", " remote='yes'", "<interface index='", "<portdata>", "<leases>", "<started>", "&#13;",
            "&amp;", "<![CDATA[", "]]>", "<!DOCTYPE", "/>", "</", "4b3f4e6c-2a1d-4f5e-9c7b-0d1e2f3a4b5c"})
    @FuzzTest(maxDuration = "4h", maxExecutions = 10_000_000)
    void everyPhaseEatsOrRefusesAndTheRoundTripIsStable(byte[] cookie) throws CookieException {
        for (Phase phase : Phase.values()) {
            parseOrRefuse(cookie, new EatRules(phase, LOCAL_HOST, null, null));
        }
        ParsedCookie parsed = parseOrRefuse(cookie, EatRules.roundTrip());
        if (parsed == null) {
            return;
        }
        String formatted = CODEC.format(parsed.header(), parsed.features(), parsed.sections());
        ParsedCookie again = CODEC.parse(formatted.getBytes(StandardCharsets.UTF_8), EatRules.roundTrip(), SECTIONS);
        assertEquals(parsed.header(), again.header(), () -> "header changed by a round trip:\n" + formatted);
        assertEquals(parsed.features(), again.features(), () -> "features changed by a round trip:\n" + formatted);
        assertEquals(features(parsed), features(again), () -> "sections changed by a round trip:\n" + formatted);
        assertEquals(formatted, CODEC.format(again.header(), again.features(), again.sections()),
                "a re-formatted cookie formats differently the second time");
    }

    private static ParsedCookie parseOrRefuse(byte[] cookie, EatRules rules) {
        try {
            return CODEC.parse(cookie, rules, SECTIONS);
        } catch (CookieException e) {
            if (e instanceof SectionFailure && e.getCause() != null && !(e.getCause() instanceof CookieException)) {
                throw new AssertionError("a section failed instead of refusing the cookie: " + e.getMessage(), e);
            }
            String message = e.getMessage();
            assertTrue(message != null && !message.isBlank(), "a refusal must say why");
            assertFalse(message.contains("\n") || message.contains("\r"), () -> "a refusal must be one line: " + message);
            return null;
        }
    }

    /** {@code handle}'s section, with its descriptor, called on the calling thread. */
    private static SectionHandle inline(SectionHandle handle, CookieSection<?> section) {
        return new SectionHandle(handle.descriptor(), SectionSource.of(section), INLINE, TestSections.TIMEOUT);
    }

    private static List<String> features(ParsedCookie cookie) {
        List<String> features = new ArrayList<>();
        cookie.sections().forEach(s -> features.add(s.handle().descriptor().feature()));
        return features;
    }
}
