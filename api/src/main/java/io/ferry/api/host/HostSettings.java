package io.ferry.api.host;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * This host's settings as the core knows them, for plug-ins that depend on the api alone. A plug-in's own
 * settings come from its configuration (Config Admin), where ferryd also puts the flags that override them
 * ({@code --lease-dir DIR} is {@code leaseDir} of {@code io.ferry.plugin.lockstate}).
 */
@ProviderType
public interface HostSettings {
    /**
     * The command line's value for {@code key}, if it gave one.
     *
     * @deprecated ferryd puts its flags into the plug-in's own configuration, which a plug-in reads anyway; this
     *             is always empty.
     */
    @Deprecated
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

    /**
     * The first line of a file holding a secret (a password), named by a setting and resolved as {@link #resolve}
     * does: read only from a regular file (not a link) of the daemon's user's own that neither its group nor others
     * may read or write.
     *
     * @throws IOException whose message names the file and what is wrong with it
     * @since 1.2
     */
    default String readSecret(String path) throws IOException {
        throw new IOException("this host cannot check secret files: " + path + " not read");
    }
}
