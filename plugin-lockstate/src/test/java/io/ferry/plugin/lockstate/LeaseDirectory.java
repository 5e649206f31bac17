package io.ferry.plugin.lockstate;

import io.ferry.api.host.HostSettings;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.nio.file.Path;
import java.util.Optional;

/** A file lock manager on a lease directory, made as Declarative Services makes it. */
final class LeaseDirectory {
    private LeaseDirectory() {
    }

    /** On {@code leases}, configured by its absolute path. */
    static FileLockManager manager(Path leases) throws IOException {
        return manager(leases.getParent(), leases.toString());
    }

    /** Of an installation in {@code home}, whose {@code leaseDir} is {@code leaseDir} (blank: unset). */
    static FileLockManager manager(Path home, String leaseDir) throws IOException {
        return manager(home, leaseDir, UnmountedShares.SYSTEM);
    }

    /** The same, on a host whose fstab and mounts are {@code shares}'. */
    static FileLockManager manager(Path home, String leaseDir, UnmountedShares shares) throws IOException {
        return new FileLockManager(new HostSettings() {
            @Override
            public Optional<String> override(String key) {
                return Optional.empty();
            }

            @Override
            public Path resolve(String path) {
                return home.resolve(path);
            }

            @Override
            public Path stateDir() {
                return home.resolve("var");
            }
        }, new FileLockManager.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return FileLockManager.Config.class;
            }

            @Override
            public String leaseDir() {
                return leaseDir;
            }
        }, shares);
    }
}
