package io.ferry.core.host;

import io.ferry.api.host.HostSettings;
import io.ferry.core.daemon.Daemon;
import io.ferry.core.daemon.DaemonSettings;
import java.nio.file.Path;
import java.util.Optional;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/** ferryd turns its flags into framework properties {@code ferry.KEY}; this reads them for the plug-ins. */
@Component(service = HostSettings.class)
public class FrameworkHostSettings implements HostSettings {
    private static final String PREFIX = "ferry.";

    private final BundleContext context;
    /** Optional: plug-ins that need no state directory work before (or without) a configured daemon. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Daemon daemon;

    @Activate
    public FrameworkHostSettings(BundleContext context) {
        this.context = context;
    }

    @Override
    public Optional<String> override(String key) {
        String value = context.getProperty(PREFIX + key);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }

    @Override
    public Path resolve(String path) {
        Path given = Path.of(path);
        String home = context.getProperty(PREFIX + "home");
        return (given.isAbsolute() || home == null ? given : Path.of(home).resolve(given)).toAbsolutePath();
    }

    @Override
    public Path stateDir() {
        Daemon current = daemon;
        if (current != null) {
            return current.settings().stateDir();
        }
        String property = context.getProperty(DaemonSettings.STATE_DIR);
        if (property == null || property.isBlank()) {
            throw new IllegalStateException("the daemon's state directory is not known yet (no daemon configured)");
        }
        return Path.of(property.trim()).toAbsolutePath();
    }
}
