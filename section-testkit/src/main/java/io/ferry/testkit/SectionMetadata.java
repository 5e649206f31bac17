package io.ferry.testkit;

import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionProperties;
import io.ferry.core.section.SectionDescriptor;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A section's metadata as a daemon will see it: the service properties that DS registers for the class's
 * {@code @Component} and {@code @SectionProperties} (read from its class file, as bnd does when it writes the
 * component description), checked by the core's own rules. {@link #of} fails the test with the daemon's refusal when
 * the daemon would ignore the section.
 *
 * @param properties the section's service properties, as DS registers them
 */
public record SectionMetadata(String feature, String element, String version, Mandatory mandatory, Set<Phase> bakes,
        Set<Phase> eats, Map<String, Object> properties) {
    /** DS's {@code @Component}, named rather than imported: the kit's bundle needs no annotations at run time. */
    private static final String COMPONENT = "org.osgi.service.component.annotations.Component";

    public SectionMetadata {
        bakes = Set.copyOf(bakes);
        eats = Set.copyOf(eats);
        properties = Map.copyOf(properties);
    }

    /**
     * The metadata of a section class.
     *
     * @throws AssertionError if the class is no {@code @Component} offering {@link CookieSection}, lacks
     *         {@code @SectionProperties}, or has properties the core refuses (the message is the core's)
     */
    public static SectionMetadata of(Class<?> section) {
        ClassAnnotations annotations = ClassAnnotations.of(section);
        Map<String, Object> component = annotations.get(COMPONENT);
        if (component == null) {
            throw new AssertionError(section.getName() + " has no @Component: DS would not register it");
        }
        if (!CookieSection.class.isAssignableFrom(section) || !offersSection(section, component)) {
            throw new AssertionError(section.getName() + " is not registered as a " + CookieSection.class.getName()
                    + " service: @Component(service = CookieSection.class)");
        }
        Map<String, Object> declared = annotations.get(SectionProperties.class.getName());
        if (declared == null) {
            throw new AssertionError(section.getName() + " has no @SectionProperties: the core would ignore it");
        }
        Map<String, Object> properties = new LinkedHashMap<>();
        for (Method element : SectionProperties.class.getDeclaredMethods()) {
            Object value = declared.containsKey(element.getName()) ? declared.get(element.getName()) : element.getDefaultValue();
            properties.put(SectionProperties.PREFIX_ + element.getName(), propertyValue(value));
        }
        for (Object line : list(component.get("property"))) { // "name[:type]=value" lines override, as in DS
            String text = (String) line;
            int equals = text.indexOf('=');
            String name = text.substring(0, equals).replaceFirst(":.*", "").trim();
            properties.put(name, text.substring(equals + 1));
        }
        return from(properties, section.getName());
    }

    /** The same metadata with another fragment version, for version-skew tests. */
    public SectionMetadata withVersion(String otherVersion) {
        Map<String, Object> changed = new LinkedHashMap<>(properties);
        changed.put(CookieSection.VERSION, otherVersion);
        return from(changed, "a test's copy of " + feature);
    }

    /** The major part of {@link #version}: sections of one major version read each other's fragments. */
    public int majorVersion() {
        return descriptor().majorVersion();
    }

    /** What the core makes of these properties. */
    SectionDescriptor descriptor() {
        return SectionDescriptor.fromProperties(properties, "the test");
    }

    /** The metadata of these service properties, checked by the core's rules (the kit's tests build variants). */
    static SectionMetadata from(Map<String, Object> properties, String origin) {
        SectionDescriptor descriptor;
        try {
            descriptor = SectionDescriptor.fromProperties(properties, origin);
        } catch (IllegalArgumentException e) {
            throw new AssertionError(e.getMessage(), e);
        }
        return new SectionMetadata(descriptor.feature(), descriptor.element(), descriptor.version(), descriptor.mandatory(),
                descriptor.bakes(), descriptor.eats(), properties);
    }

    private static boolean offersSection(Class<?> section, Map<String, Object> component) {
        Object services = component.get("service");
        if (services == null) { // DS: every interface the class itself implements
            return Arrays.asList(section.getInterfaces()).contains(CookieSection.class);
        }
        return list(services).contains("L" + CookieSection.class.getName().replace('.', '/') + ";");
    }

    /** A DS property value: strings as they are, enum constants by name, arrays as String[]. */
    private static Object propertyValue(Object value) {
        if (value instanceof ClassAnnotations.EnumValue constant) {
            return constant.name();
        }
        if (value instanceof Enum<?> constant) {
            return constant.name();
        }
        if (value instanceof List<?> || value != null && value.getClass().isArray()) {
            List<?> values = value instanceof List<?> l ? l : Arrays.asList((Object[]) value);
            return values.stream().map(SectionMetadata::propertyValue).map(String::valueOf).toArray(String[]::new);
        }
        return value;
    }

    private static List<?> list(Object value) {
        return value == null ? List.of() : value instanceof List<?> l ? l : List.of(value);
    }
}
