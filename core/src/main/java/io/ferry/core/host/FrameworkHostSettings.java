package io.ferry.core.host;

import io.ferry.api.host.HostSettings;
import java.nio.file.Path;
import java.util.Optional;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/** This host's settings for the plug-ins, from the framework: where the installation is ({@code ferry.home}). */
@Component(service = HostSettings.class)
public class FrameworkHostSettings implements HostSettings {
    private static final String HOME = "ferry.home";

    private final BundleContext context;

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
}
