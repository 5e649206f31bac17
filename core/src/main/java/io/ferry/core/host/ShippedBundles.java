package io.ferry.core.host;

import java.nio.file.Path;
import java.util.Collection;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.framework.hooks.bundle.FindHook;

/**
 * Keeps the installation's own bundles ({@code bundle/}) out of FileInstall's sight. FileInstall treats a jar
 * dropped into {@code deploy/} with the symbolic name and version of an installed bundle as an update of that
 * bundle, and deleting the jar then uninstalls it: a copy of a shipped section in {@code deploy/} would replace the
 * shipped one, and removing the copy would leave the daemon without it until a restart. Hidden from FileInstall,
 * a shipped bundle is never its to update or uninstall: a section dropped into {@code deploy/} is installed beside
 * it (the higher version serves), and deleting the drop goes back to the shipped one.
 */
@Component(service = FindHook.class)
public class ShippedBundles implements FindHook {
    private static final String FILE_INSTALL = "org.apache.felix.fileinstall";

    private final String shipped;

    @Activate
    public ShippedBundles(BundleContext context) {
        String home = context.getProperty("ferry.home");
        this.shipped = home == null ? null : Path.of(home, "bundle").toUri().toString();
    }

    @Override
    public void find(BundleContext context, Collection<Bundle> bundles) {
        if (shipped != null && FILE_INSTALL.equals(context.getBundle().getSymbolicName())) {
            bundles.removeIf(bundle -> bundle.getLocation().startsWith(shipped));
        }
    }
}
