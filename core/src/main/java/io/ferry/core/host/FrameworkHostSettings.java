package io.ferry.core.host;

import io.ferry.api.host.HostSettings;
import io.ferry.core.daemon.Daemon;
import io.ferry.protocol.OwnFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * This host's settings for the plug-ins: where the installation is ({@code ferry.home}), the daemon's state
 * directory, and its secret files' check.
 */
@Component(service = HostSettings.class)
public class FrameworkHostSettings implements HostSettings {
    private static final String HOME = "ferry.home";

    private final BundleContext context;
    /** Optional: plug-ins that need no state directory work before (or without) a configured daemon. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Daemon daemon;

    @Activate
    public FrameworkHostSettings(BundleContext context) {
        this.context = context;
    }

    /** ferryd's flags reach a plug-in through its own configuration now. */
    @Override
    @Deprecated
    public Optional<String> override(String key) {
        return Optional.empty();
    }

    @Override
    public Path resolve(String path) {
        Path given = Path.of(path);
        String home = context.getProperty(HOME);
        return (given.isAbsolute() || home == null ? given : Path.of(home).resolve(given)).toAbsolutePath();
    }

    /** The check ferry makes of its token files ({@link OwnFiles}), and closed to group and others. */
    @Override
    public String readSecret(String path) throws IOException {
        return OwnFiles.readSecret(resolve(path));
    }

    @Override
    public Path stateDir() {
        Daemon current = daemon;
        if (current == null) {
            throw new IllegalStateException("the daemon's state directory is not known yet (no daemon configured)");
        }
        return current.settings().stateDir();
    }
}
