package io.ferry.api.host;

import java.nio.file.Path;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * ferryd's command-line overrides of plug-in settings, which win over a plug-in's configuration in {@code etc/}
 * ({@code --lease-dir DIR} is the override of {@code lease.dir}).
 */
@ProviderType
public interface HostSettings {
    /** The command line's value for {@code key}, if it gave one. */
    Optional<String> override(String key);

    /** A path from a setting: absolute as it is, relative to the installation otherwise. */
    Path resolve(String path);

    /**
     * The daemon's state directory (ferryd {@code --state-dir}), absolute: where a plug-in keeps files that outlive
     * its VMs and the daemon, in a subdirectory of its own (the QEMU driver's logs are in {@code qemu/}).
     *
     * @since 1.1
     */
    Path stateDir();
}
