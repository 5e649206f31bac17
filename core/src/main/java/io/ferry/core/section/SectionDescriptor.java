package io.ferry.core.section;

import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A cookie section's metadata, read from its service properties.
 *
 * @param bundle the symbolic name and version of the bundle that registered it, for listings and errors
 */
public record SectionDescriptor(String feature, String element, String version, Mandatory mandatory,
        Set<Phase> bakes, Set<Phase> eats, String bundle) {

    private static final Pattern XML_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9._-]*");
    /** Each part fits an int, as a peer requires of the versions it is sent. */
    private static final Pattern VERSION = Pattern.compile("\\d{1,9}\\.\\d{1,9}");
    /** The cookie's own elements: a section's fragment of one of these names would be read as, or break, the envelope. */
    private static final Set<String> ENVELOPE = Set.of("qemu-migration", "name", "uuid", "hostname", "hostuuid", "feature");

    public SectionDescriptor {
        bakes = Set.copyOf(bakes);
        eats = Set.copyOf(eats);
    }

    public boolean bakesIn(Phase phase) {
        return bakes.contains(phase);
    }

    public boolean eatsIn(Phase phase) {
        return eats.contains(phase);
    }

    /** Orders descriptors by their section version, the higher first. */
    public static final java.util.Comparator<SectionDescriptor> NEWER_FIRST = java.util.Comparator
            .comparingInt(SectionDescriptor::majorVersion).thenComparingInt(SectionDescriptor::minorVersion).reversed();

    /** The minor part of {@link #version}. */
    public int minorVersion() {
        return Integer.parseInt(version.substring(version.indexOf('.') + 1));
    }

    /** The major part of {@link #version}: sections of one major version read each other's fragments. */
    public int majorVersion() {
        return Integer.parseInt(version.substring(0, version.indexOf('.')));
    }

    /**
     * Reads and checks a registration's properties.
     *
     * @throws IllegalArgumentException naming the bundle and the bad property
     */
    public static SectionDescriptor fromProperties(Map<String, ?> properties, String bundle) {
        String feature = required(properties, CookieSection.FEATURE, bundle);
        String element = required(properties, CookieSection.ELEMENT, bundle);
        if (!XML_NAME.matcher(feature).matches() || !XML_NAME.matcher(element).matches()) {
            throw new IllegalArgumentException("cookie section from " + bundle + " has an invalid feature or element name: "
                    + feature + ", " + element);
        }
        if (ENVELOPE.contains(element)) {
            throw new IllegalArgumentException("cookie section " + feature + " from " + bundle + " has element <" + element
                    + ">, which is the migration cookie's own");
        }
        Object rawVersion = properties.get(CookieSection.VERSION);
        String version = rawVersion == null ? "1.0" : rawVersion.toString();
        if (!VERSION.matcher(version).matches()) {
            throw new IllegalArgumentException("cookie section " + feature + " from " + bundle
                    + " has version '" + version + "', expected MAJOR.MINOR");
        }
        Object rawMandatory = properties.get(CookieSection.MANDATORY);
        Mandatory mandatory;
        try {
            mandatory = rawMandatory == null ? Mandatory.NEVER : Mandatory.valueOf(rawMandatory.toString());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cookie section " + feature + " from " + bundle
                    + " has an unknown mandatory policy '" + rawMandatory + "'");
        }
        return new SectionDescriptor(feature, element, version, mandatory,
                phases(properties, CookieSection.BAKES, feature, bundle),
                phases(properties, CookieSection.EATS, feature, bundle), bundle);
    }

    private static String required(Map<String, ?> properties, String key, String bundle) {
        Object value = properties.get(key);
        if (value == null || value.toString().isBlank()) {
            throw new IllegalArgumentException("cookie section from " + bundle + " lacks the service property " + key);
        }
        return value.toString();
    }

    private static Set<Phase> phases(Map<String, ?> properties, String key, String feature, String bundle) {
        Object value = properties.get(key);
        Set<Phase> phases = EnumSet.noneOf(Phase.class);
        Iterable<?> names;
        if (value == null) {
            return phases;
        } else if (value instanceof Object[] array) {
            names = java.util.Arrays.asList(array);
        } else if (value instanceof Collection<?> collection) {
            names = collection;
        } else {
            names = java.util.List.of(value);
        }
        for (Object name : names) {
            try {
                phases.add(Phase.parse(name.toString()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("cookie section " + feature + " from " + bundle + ": " + key + ": " + e.getMessage());
            }
        }
        return phases;
    }
}
