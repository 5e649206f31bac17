package io.ferry.core.section;

import java.util.Set;
import java.util.function.Supplier;

/** The cookie sections of this host as a migration sees them: those registered now, and those that just left. */
public interface SectionCatalog extends Supplier<SectionSet> {
    /** The sections registered now, one per feature. */
    @Override
    SectionSet get();

    /**
     * The features of sections that may be mandatory and whose last registration went away less than
     * {@code millis} ago without coming back: most often a bundle being updated, whose new registration follows.
     */
    Set<String> departedWithin(long millis);
}
