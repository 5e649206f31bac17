package io.ferry.core.section;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.osgi.framework.Bundle;
import org.osgi.framework.Version;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;

/**
 * Which version of an api package a bundle was built against: the floor of the range it imports the package with
 * (bnd imports a package from the version it compiled against, {@code [1.2,2)}).
 */
final class ApiImports {
    private static final Pattern FLOOR = Pattern.compile("\\(version>=([0-9][0-9.]*)\\)");

    private ApiImports() {
    }

    /** The floor of {@code bundle}'s import of {@code pkg}, or null when it imports it from nowhere (or is gone). */
    static Version floor(Bundle bundle, String pkg) {
        BundleWiring wiring = bundle.adapt(BundleWiring.class);
        if (wiring == null) {
            return null;
        }
        for (BundleWire wire : wiring.getRequiredWires(PackageNamespace.PACKAGE_NAMESPACE)) {
            if (pkg.equals(wire.getCapability().getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE))) {
                String filter = wire.getRequirement().getDirectives().get(PackageNamespace.REQUIREMENT_FILTER_DIRECTIVE);
                Matcher floor = FLOOR.matcher(filter == null ? "" : filter);
                return floor.find() ? Version.parseVersion(floor.group(1)) : Version.emptyVersion;
            }
        }
        return null;
    }
}
