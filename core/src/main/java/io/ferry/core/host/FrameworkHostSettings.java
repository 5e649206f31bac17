package io.ferry.core.host;

import io.ferry.api.host.HostSettings;
import java.nio.file.Path;
import java.util.Optional;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/** ferryd turns its flags into framework properties {@code ferry.KEY}; this reads them for the plug-ins. */
@Component(service = HostSettings.class)
public class FrameworkHostSettings implements HostSettings {
    private static final String PREFIX = "ferry.";

    private final BundleContext context;

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
}
