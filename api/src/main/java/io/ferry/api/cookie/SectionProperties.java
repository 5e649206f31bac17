package io.ferry.api.cookie;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * A section's metadata, declared once on its component: {@code @SectionProperties(feature = "graphics",
 * element = "graphics", bakes = Phase.PREPARE, eats = Phase.PERFORM)}. The values become the service
 * properties named by the constants of {@link CookieSection}.
 */
@ComponentPropertyType
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface SectionProperties {
    /** Prefix of every generated service property. */
    String PREFIX_ = "ferry.section.";

    /** The feature name, as it appears in {@code <feature name='…'/>}; unique among installed sections. */
    String feature();

    /** The name of the section's top-level element in the cookie. */
    String element();

    /**
     * The version of the section's fragment format (major.minor); peers negotiate on it. A migration carries the
     * section only when both hosts have it in the same major version, and a fragment of another major version is
     * never parsed. Raise the minor version for a change an older eater copes with (it ignores what it does not
     * know), the major version for one it could misread.
     */
    String version() default "1.0";

    /** When the feature is announced as mandatory. */
    Mandatory mandatory() default Mandatory.NEVER;

    /** The phases whose outgoing cookie this section bakes into. */
    Phase[] bakes();

    /** The phases that eat this section from their incoming cookie. */
    Phase[] eats();
}
