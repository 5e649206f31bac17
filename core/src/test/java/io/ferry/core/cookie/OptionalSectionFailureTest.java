package io.ferry.core.cookie;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.core.section.MigrationSectionContext;
import io.ferry.core.section.SectionHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.Test;

/**
 * An optional section that throws while eating or baking (graphics relocation that cannot reach the clients)
 * costs its own effect only: the phase goes on with the other sections. A mandatory one fails the phase.
 */
public class OptionalSectionFailureTest {
    private static final UUID HOST = UUID.fromString("8b3f4dc4-6a8e-5f9b-94a5-4c35babd8d95");

    private final List<String> eaten = new ArrayList<>();

    /** A section whose bake and eat throw the given exception, or record that they ran. */
    private class Section extends TextSection {
        private final String name;
        private final RuntimeException failure;

        Section(String name, RuntimeException failure) {
            this.name = name;
            this.failure = failure;
        }

        @Override
        public Optional<String> bake(SectionContext context) {
            if (failure != null) {
                throw failure;
            }
            return Optional.of(name);
        }

        @Override
        public void eat(SectionContext context, String value) {
            if (failure != null) {
                throw failure;
            }
            eaten.add(name + "=" + value);
        }
    }

    private SectionHandle handle(String feature, Mandatory mandatory, RuntimeException failure) {
        return TestSections.handle(new Section(feature, failure), feature, feature, mandatory, List.of(Phase.PREPARE),
                List.of(Phase.PERFORM));
    }

    private static MigrationSectionContext context(Phase phase) {
        return MigrationSectionContext.offline(phase, "m1", "vm", UUID.randomUUID(), new SectionContext.Host("src", HOST));
    }

    private static ParsedCookie cookie(List<String> features, ParsedCookie.Section... sections) {
        return new ParsedCookie(new CookieHeader("vm", UUID.randomUUID().toString(), "dst", UUID.randomUUID()), features,
                List.of(sections));
    }

    @Test
    public void anOptionalEatThatThrowsDoesNotFailThePhase() throws Exception {
        SectionHandle graphics = handle("graphics", Mandatory.NEVER, new IllegalStateException("no vnc graphics"));
        SectionHandle other = handle("other", Mandatory.NEVER, null);
        CookieBakery bakery = new CookieBakery(TestSections.codec());
        bakery.eat(cookie(List.of(), new ParsedCookie.Section(graphics, "g"), new ParsedCookie.Section(other, "o")),
                context(Phase.PERFORM));
        assertEquals(List.of("other=o"), eaten);
    }

    @Test
    public void anOptionalBakeThatThrowsIsLeftOutOfTheCookie() throws Exception {
        SectionHandle graphics = handle("graphics", Mandatory.NEVER, new IllegalStateException("no listener"));
        SectionHandle other = handle("other", Mandatory.NEVER, null);
        CookieBakery.Baked baked = new CookieBakery(TestSections.codec()).bake(
                new CookieHeader("vm", UUID.randomUUID().toString(), "dst", HOST), TestSections.of(graphics, other),
                context(Phase.PREPARE));
        assertTrue(baked.xml(), baked.xml().contains("<other>other</other>"));
        assertTrue(baked.xml(), !baked.xml().contains("graphics"));
    }

    @Test
    public void aMandatorySectionWhoseBakeThrowsFailsThePhase() {
        SectionHandle lease = handle("lease", Mandatory.WHEN_BAKED, new IllegalStateException("lease taken"));
        SectionHandle other = handle("other", Mandatory.NEVER, null);
        CookieException e = assertThrows(CookieException.class, () -> new CookieBakery(TestSections.codec()).bake(
                new CookieHeader("vm", UUID.randomUUID().toString(), "dst", HOST), TestSections.of(lease, other),
                context(Phase.PREPARE)));
        assertEquals("cookie section lease failed in bake: IllegalStateException: lease taken", e.getMessage());
    }

    /**
     * A section that bakes fine and whose format fails: it throws, throws a CookieException its signature does not
     * declare (as Kotlin's may), gets a value of another type, or writes text XML cannot carry.
     */
    private final class BadFormat extends Section {
        private final Object baked;

        BadFormat(Object baked) {
            super("bad", null);
            this.baked = baked;
        }

        @Override
        @SuppressWarnings({"unchecked", "rawtypes"})
        public Optional<String> bake(SectionContext context) {
            return (Optional) Optional.of(baked);
        }

        @Override
        public void format(String value, org.w3c.dom.Element fragment) {
            if (value.equals("throw")) {
                throw new IllegalStateException("no format today");
            }
            if (value.equals("cookie")) {
                OptionalSectionFailureTest.<RuntimeException>sneaky(new CookieException("no format today"));
            }
            super.format(value, fragment);
        }
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneaky(Throwable thrown) throws T {
        throw (T) thrown;
    }

    @Test
    public void anOptionalSectionWhoseFormatFailsIsLeftOutOfTheCookie() throws Exception {
        SectionHandle other = handle("other", Mandatory.NEVER, null);
        for (Object baked : List.of("throw", "cookie", 42, "bell \u0007")) {
            SectionHandle bad = TestSections.handle(new BadFormat(baked), "alpha", "alpha", Mandatory.NEVER, List.of(Phase.PREPARE),
                    List.of(Phase.PERFORM));
            CookieBakery.Baked cookie = new CookieBakery(TestSections.codec()).bake(
                    new CookieHeader("vm", UUID.randomUUID().toString(), "dst", HOST), TestSections.of(bad, other),
                    context(Phase.PREPARE));
            assertTrue(cookie.xml(), cookie.xml().contains("<other>other</other>") && !cookie.xml().contains("alpha"));
            assertEquals(List.of("other"), cookie.sections().stream().map(s -> s.handle().descriptor().feature()).toList());
        }
    }

    @Test
    public void aMandatorySectionWhoseFormatFailsFailsThePhase() {
        SectionHandle bad = TestSections.handle(new BadFormat("throw"), "alpha", "alpha", Mandatory.WHEN_BAKED,
                List.of(Phase.PREPARE), List.of(Phase.PERFORM));
        CookieException e = assertThrows(CookieException.class, () -> new CookieBakery(TestSections.codec()).bake(
                new CookieHeader("vm", UUID.randomUUID().toString(), "dst", HOST), TestSections.of(bad), context(Phase.PREPARE)));
        assertEquals("cookie section alpha failed in format: IllegalStateException: no format today", e.getMessage());
        SectionHandle cookie = TestSections.handle(new BadFormat("cookie"), "alpha", "alpha", Mandatory.WHEN_BAKED,
                List.of(Phase.PREPARE), List.of(Phase.PERFORM));
        e = assertThrows(CookieException.class, () -> new CookieBakery(TestSections.codec()).bake(
                new CookieHeader("vm", UUID.randomUUID().toString(), "dst", HOST), TestSections.of(cookie),
                context(Phase.PREPARE)));
        assertEquals("the section's message, as it wrote it", "no format today", e.getMessage());
    }

    @Test
    public void aMandatoryOrAnnouncedEatThatThrowsFailsThePhase() {
        CookieBakery bakery = new CookieBakery(TestSections.codec());
        SectionHandle lease = handle("lease", Mandatory.WHEN_BAKED, new IllegalStateException("lease taken"));
        CookieException e = assertThrows(CookieException.class,
                () -> bakery.eat(cookie(List.of("lease"), new ParsedCookie.Section(lease, "l")), context(Phase.PERFORM)));
        assertTrue(e.getMessage(), e.getMessage().contains("lease taken"));
        SectionHandle announced = handle("graphics", Mandatory.NEVER, new IllegalStateException("boom"));
        assertThrows(CookieException.class,
                () -> bakery.eat(cookie(List.of("graphics"), new ParsedCookie.Section(announced, "g")), context(Phase.PERFORM)));
    }
}
