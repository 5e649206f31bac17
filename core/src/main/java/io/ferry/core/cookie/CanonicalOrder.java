package io.ferry.core.cookie;

import java.util.Comparator;
import java.util.List;

/**
 * The order of sections in a cookie: libvirt's for libvirt's elements, then any other element by name, so
 * that two bakers with the same sections write the same bytes.
 */
public final class CanonicalOrder {
    private static final List<String> LIBVIRT = List.of("graphics", "lockstate", "domain", "network", "nbd",
            "statistics", "cpu", "capabilities", "blockDirtyBitmaps");

    public static final Comparator<String> ELEMENTS = Comparator.comparingInt(CanonicalOrder::rank)
            .thenComparing(Comparator.naturalOrder());

    private CanonicalOrder() {
    }

    private static int rank(String element) {
        int index = LIBVIRT.indexOf(element);
        return index < 0 ? LIBVIRT.size() : index;
    }
}
