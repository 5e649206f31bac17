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

    static FileLockManager manager(Path leases) throws IOException {
        return new FileLockManager(new HostSettings() {
            @Override
            public Optional<String> override(String key) {
                return Optional.empty();
            }

            @Override
            public Path resolve(String path) {
                return Path.of(path);
            }

            @Override
            public Path stateDir() {
                return leases.getParent();
            }
        }, new FileLockManager.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return FileLockManager.Config.class;
            }

            @Override
            public String leaseDir() {
                return leases.toString();
            }
        });
    }
}
