package io.ferry.core.cookie;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.core.section.MigrationSectionContext;
import io.ferry.core.section.SectionGone;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSet;
import io.ferry.core.section.SectionSource;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.Test;

/**
 * A section whose bundle is updated after the phase took it and before it parsed the cookie, or after the parse and
 * before it ate: it never ran that call, so the cookie is parsed again with the registration that replaced it, which
 * eats; the sections that ate already do not eat again (an eat acts: a port created, snapshots staged).
 */
public class SectionLeftBeforeEatTest {
    private static final UUID DOMAIN = UUID.randomUUID();
    private static final EatRules PREPARE_RULES = new EatRules(Phase.PREPARE, UUID.randomUUID(), "vm", DOMAIN.toString());
    private final List<String> ate = new ArrayList<>();
    private final CookieBakery bakery = new CookieBakery(TestSections.codec());
    private final MigrationSectionContext context = MigrationSectionContext.offline(Phase.PREPARE, "m1", "vm", DOMAIN,
            new SectionContext.Host("dst", UUID.randomUUID()));

    /** A section eaten in Prepare that records who ate what. */
    private CookieSection<String> eater(String who) {
        return new TextSection() {
            @Override
            public Optional<String> bake(SectionContext context) {
                return Optional.of("state of " + who.split(" ")[0]);
            }

            @Override
            public void eat(SectionContext context, String value) {
                ate.add(who + " ate " + value);
            }
        };
    }

    private static SectionHandle handle(SectionSource source, String feature) {
        return handle(source, feature, Mandatory.WHEN_BAKED);
    }

    private static SectionHandle handle(SectionSource source, String feature, Mandatory mandatory) {
        return TestSections.handle(source, feature, feature, mandatory, List.of(Phase.BEGIN), List.of(Phase.PREPARE),
                TestSections.TIMEOUT);
    }

    /** The registration of {@code section} that its bundle's update takes away after {@code calls} calls: a parse, say. */
    private static SectionSource leavingAfter(int calls, CookieSection<String> section) {
        return leavingAfter(calls, section, () -> { });
    }

    /** The same, running {@code update} (the new registration's coming) as it finds itself gone. */
    private static SectionSource leavingAfter(int calls, CookieSection<String> section, Runnable update) {
        return TestSections.goneAfter("probe", calls, SectionSource.of(section), update);
    }

    private ParsedCookie beginCookie(SectionSet eating) throws Exception {
        return beginCookie(eating, "lease", "probe");
    }

    /** A Begin cookie baked by sections of these features, parsed by {@code eating}. */
    private ParsedCookie beginCookie(SectionSet eating, String... features) throws Exception {
        return bakery.codec().parse(beginXml(features), PREPARE_RULES, eating);
    }

    /** A Begin cookie baked by sections of these features. */
    private byte[] beginXml(String... features) throws Exception {
        return beginXml(new SectionSet(Stream.of(features).map(f -> handle(SectionSource.of(eater(f)), f)).toList()));
    }

    private byte[] beginXml(SectionSet baking) throws Exception {
        SectionContext.Host source = new SectionContext.Host("src", UUID.randomUUID());
        return bakery.bake(new CookieHeader("vm", DOMAIN.toString(), "src", source.uuid()), baking,
                MigrationSectionContext.offline(Phase.BEGIN, "m1", "vm", DOMAIN, source)).xml().getBytes(StandardCharsets.UTF_8);
    }

    @Test
    public void aSectionUpdatedAwayBeforeItParsedParsesAndEatsThroughItsNewRegistration() throws Exception {
        SectionHandle lease = handle(SectionSource.of(eater("lease")), "lease");
        SectionHandle updated = handle(SectionSource.of(eater("new probe")), "probe");
        List<SectionSet> retaken = new ArrayList<>();

        ParsedCookie cookie = bakery.parse(beginXml("lease", "probe"), PREPARE_RULES,
                TestSections.of(lease, handle(leavingAfter(0, eater("old probe")), "probe")), (left, gone) -> {
                    retaken.add(left);
                    return TestSections.of(lease, updated);
                });
        bakery.eat(cookie, context);

        assertEquals("taken again once", 1, retaken.size());
        assertEquals(List.of("lease ate state of lease", "new probe ate state of probe"), ate);
    }

    @Test
    public void aSectionThatKeepsLeavingAsItParsesFailsTheParseAfterThreeTakes() throws Exception {
        SectionHandle lease = handle(SectionSource.of(eater("lease")), "lease");
        List<SectionSet> retaken = new ArrayList<>();

        SectionGone failure = assertThrows(SectionGone.class, () -> bakery.parse(beginXml("lease", "probe"), PREPARE_RULES,
                TestSections.of(lease, handle(leavingAfter(0, eater("probe 1")), "probe")), (left, gone) -> {
                    retaken.add(left);
                    return TestSections.of(lease, handle(leavingAfter(0, eater("probe " + (retaken.size() + 1))), "probe"));
                }));

        assertEquals("cookie section probe is no longer registered (its bundle was stopped, updated or uninstalled)",
                failure.getMessage());
        assertEquals("three takes: the first and two more", CookieBakery.MAX_TAKES - 1, retaken.size());
    }

    @Test
    public void aSectionUpdatedAwayBeforeItAteEatsThroughItsNewRegistrationAndTheOthersEatOnce() throws Exception {
        SectionHandle lease = handle(SectionSource.of(eater("lease")), "lease");
        ParsedCookie cookie = beginCookie(TestSections.of(lease, handle(leavingAfter(1, eater("old probe")), "probe")));
        SectionHandle updated = handle(SectionSource.of(eater("new probe")), "probe");

        bakery.eat(cookie, context, (left, gone) -> TestSections.of(lease, updated));

        assertEquals(List.of("lease ate state of lease", "new probe ate state of probe"), ate);
    }

    /** An optional section (Open vSwitch port data, say) is not skipped for its update: it never failed. */
    @Test
    public void anOptionalSectionUpdatedAwayBeforeItAteEatsThroughItsNewRegistration() throws Exception {
        SectionHandle lease = handle(SectionSource.of(eater("lease")), "lease");
        byte[] xml = beginXml(TestSections.of(lease, handle(SectionSource.of(eater("probe")), "probe", Mandatory.NEVER)));
        ParsedCookie cookie = bakery.codec().parse(xml, PREPARE_RULES, TestSections.of(lease,
                handle(leavingAfter(1, eater("old probe")), "probe", Mandatory.NEVER)));
        SectionHandle updated = handle(SectionSource.of(eater("new probe")), "probe", Mandatory.NEVER);

        bakery.eat(cookie, context, (left, gone) -> TestSections.of(lease, updated));

        assertEquals(List.of("lease ate state of lease", "new probe ate state of probe"), ate);
    }

    /**
     * Two sections updated one after the other: the second parse again is of the whole cookie, as the first. Of the
     * sections not eaten yet it said the announced feature of one that had eaten was unknown.
     */
    @Test
    public void twoSectionsUpdatedOneAfterTheOtherEatThroughTheirNewRegistrations() throws Exception {
        Map<String, SectionHandle> registered = new HashMap<>();
        registered.put("lease", handle(SectionSource.of(eater("lease")), "lease"));
        registered.put("probe", handle(leavingAfter(1, eater("old probe"), () -> registered.put("probe",
                handle(SectionSource.of(eater("new probe")), "probe"))), "probe"));
        // parsed twice (the cookie, then again for the probe's new registration) before its eat finds it gone
        registered.put("tpm", handle(leavingAfter(2, eater("old tpm"), () -> registered.put("tpm",
                handle(SectionSource.of(eater("new tpm")), "tpm"))), "tpm"));
        ParsedCookie cookie = beginCookie(new SectionSet(List.copyOf(registered.values())), "lease", "probe", "tpm");

        bakery.eat(cookie, context, (left, gone) -> new SectionSet(left.all().stream()
                .map(h -> registered.get(h.descriptor().feature())).toList()));

        assertEquals(List.of("lease ate state of lease", "new probe ate state of probe", "new tpm ate state of tpm"), ate);
    }

    @Test
    public void aCookieNotParsedFromItsBytesCannotBeParsedAgainAndTheGoneSectionFailsThePhase() throws Exception {
        ParsedCookie parsed = beginCookie(TestSections.of(handle(SectionSource.of(eater("lease")), "lease"),
                handle(leavingAfter(1, eater("old probe")), "probe")));
        ParsedCookie part = new ParsedCookie(parsed.header(), parsed.features(), parsed.sections());

        SectionGone failure = assertThrows(SectionGone.class, () -> bakery.eat(part, context,
                (left, gone) -> TestSections.of(handle(SectionSource.of(eater("new probe")), "probe"))));

        assertEquals("cookie section probe is no longer registered (its bundle was stopped, updated or uninstalled)",
                failure.getMessage());
        assertEquals(List.of("lease ate state of lease"), ate);
    }
}
