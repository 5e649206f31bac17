package io.ferry.testkit;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionProperties;
import java.util.List;
import java.util.Set;
import org.junit.Test;
import org.osgi.service.component.annotations.Component;

public class SectionMetadataTest {

    /** A class made at run time (a proxy, a lambda) has no class file to read its annotations from: the test says so. */
    @Test
    public void aClassWithoutAClassFileIsNamed() {
        Class<?> proxy = java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Runnable.class},
                (self, method, args) -> null).getClass();
        assertEquals("the class file of " + proxy.getName() + " is not on the class path",
                assertThrows(AssertionError.class, () -> SectionMetadata.of(proxy)).getMessage());
    }

    @Test
    public void readsTheServicePropertiesDsRegistersFromTheClassFile() {
        SectionMetadata note = SectionMetadata.of(NoteSection.class);
        assertEquals("note", note.feature());
        assertEquals("note", note.element());
        assertEquals("1.2", note.version());
        assertEquals(1, note.majorVersion());
        assertEquals(Mandatory.WHEN_BAKED, note.mandatory());
        assertEquals(Set.of(Phase.BEGIN, Phase.PERFORM), note.bakes());
        assertEquals(Set.of(Phase.PREPARE, Phase.FINISH), note.eats());
        assertArrayEquals(new String[] {"BEGIN", "PERFORM"}, (String[]) note.properties().get(CookieSection.BAKES));
        assertEquals("WHEN_BAKED", note.properties().get(CookieSection.MANDATORY));
        assertEquals("5", note.properties().get("service.ranking"));
    }

    @Test
    public void defaultsAreTheAnnotationTypesOwn() {
        SectionMetadata optional = SectionMetadata.of(OptionalNoteSection.class);
        assertEquals("1.0", optional.version());
        assertEquals(Mandatory.NEVER, optional.mandatory());
    }

    @Test
    public void aClassTheDaemonWouldIgnoreFailsWithTheReason() {
        assertEquals(NoComponent.class.getName() + " has no @Component: DS would not register it",
                assertThrows(AssertionError.class, () -> SectionMetadata.of(NoComponent.class)).getMessage());
        assertEquals(NoProperties.class.getName() + " has no @SectionProperties: the core would ignore it",
                assertThrows(AssertionError.class, () -> SectionMetadata.of(NoProperties.class)).getMessage());
        assertEquals("cookie section from " + BadName.class.getName() + " has an invalid feature or element name: 1st, first",
                assertThrows(AssertionError.class, () -> SectionMetadata.of(BadName.class)).getMessage());
        assertEquals("cookie section note from a test's copy of note has version '2', expected MAJOR.MINOR",
                assertThrows(AssertionError.class, () -> SectionMetadata.of(NoteSection.class).withVersion("2")).getMessage());
        for (Class<?> unregistered : List.of(OtherService.class, InheritedInterfaceOnly.class)) {
            assertEquals(unregistered.getName() + " is not registered as a " + CookieSection.class.getName()
                    + " service: @Component(service = CookieSection.class)",
                    assertThrows(AssertionError.class, () -> SectionMetadata.of(unregistered)).getMessage());
        }
    }

    /** A @Component naming no service is registered under the interfaces its class itself implements, as DS does. */
    @Test
    public void aComponentNamingNoServiceOffersTheInterfacesItsClassImplements() {
        assertEquals("own", SectionMetadata.of(OwnInterface.class).feature());
    }

    static class NoComponent extends NoteSection {
    }

    @Component(service = CookieSection.class)
    static class NoProperties extends NoteSection {
    }

    @Component(service = Runnable.class)
    @SectionProperties(feature = "other", element = "other", bakes = Phase.BEGIN, eats = Phase.PREPARE)
    static class OtherService extends NoteSection implements Runnable {
        @Override
        public void run() {
        }
    }

    /** DS registers it as nothing: NoteSection, not this class, implements CookieSection. */
    @Component
    @SectionProperties(feature = "inherited", element = "inherited", bakes = Phase.BEGIN, eats = Phase.PREPARE)
    static class InheritedInterfaceOnly extends NoteSection {
    }

    @Component
    @SectionProperties(feature = "own", element = "own", bakes = Phase.BEGIN, eats = Phase.PREPARE)
    static class OwnInterface extends NoteSection implements CookieSection<String> {
    }

    @Component(service = CookieSection.class)
    @SectionProperties(feature = "1st", element = "first", bakes = Phase.BEGIN, eats = Phase.PREPARE)
    static class BadName extends NoteSection {
    }
}
