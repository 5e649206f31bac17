package io.ferry.api.cookie;

import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;
import org.w3c.dom.Element;

/**
 * One section of the migration cookie, registered as an OSGi service with its metadata in service properties
 * (declare them with {@link SectionProperties}). The core calls {@link #parse} and {@link #format} to move a
 * value between XML and memory, and {@link #bake} and {@link #eat} in the phases the section declared.
 * Parsing is kept apart from eating so that the core can validate every section of a cookie before any of
 * them acts on it: a bad cookie changes nothing.
 *
 * @param <T> the section's in-memory value, immutable
 */
@ConsumerType
public interface CookieSection<T> {
    /** Service property: the feature name (String). */
    String FEATURE = SectionProperties.PREFIX_ + "feature";
    /** Service property: the top-level element name (String). */
    String ELEMENT = SectionProperties.PREFIX_ + "element";
    /** Service property: the fragment format version, major.minor (String). */
    String VERSION = SectionProperties.PREFIX_ + "version";
    /** Service property: a {@link Mandatory} name (String). */
    String MANDATORY = SectionProperties.PREFIX_ + "mandatory";
    /** Service property: the {@link Phase} names the section bakes in (String[]). */
    String BAKES = SectionProperties.PREFIX_ + "bakes";
    /** Service property: the {@link Phase} names the section eats in (String[]). */
    String EATS = SectionProperties.PREFIX_ + "eats";

    /**
     * Reads the section's element. Must have no side effect.
     *
     * @throws CookieException if the fragment is malformed; the message names what is wrong
     */
    T parse(Element fragment) throws CookieException;

    /** Writes the value into {@code fragment}, an empty element of the section's name already in place. */
    void format(T value, Element fragment);

    /**
     * The value an eater assumes when the incoming cookie has no element of this section, or null (the
     * default) when absence means there is nothing to eat. libvirt's capabilities, for one, read a cookie
     * without {@code <capabilities>} as "the peer supports none".
     */
    default T absent() {
        return null;
    }

    /** Produces the value to send in this phase's outgoing cookie, or empty when there is nothing to say. */
    Optional<T> bake(SectionContext context) throws Exception;

    /** Acts on the value received in this phase's incoming cookie. */
    void eat(SectionContext context, T value) throws Exception;
}
