package io.ferry.core.section;

import io.ferry.core.cookie.CanonicalOrder;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** An immutable set of sections, in the cookie's canonical order; what one bake, eat or migration uses. */
public record SectionSet(List<SectionHandle> all) {
    public SectionSet {
        all = all.stream().sorted(Comparator.comparing(h -> h.descriptor().element(), CanonicalOrder.ELEMENTS)).toList();
    }

    public Optional<SectionHandle> byFeature(String feature) {
        return all.stream().filter(h -> h.descriptor().feature().equals(feature)).findFirst();
    }

    public Optional<SectionHandle> byElement(String element) {
        return all.stream().filter(h -> h.descriptor().element().equals(element)).findFirst();
    }
}
