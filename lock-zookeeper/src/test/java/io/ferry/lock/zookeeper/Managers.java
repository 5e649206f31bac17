package io.ferry.lock.zookeeper;

import io.ferry.api.host.HostSettings;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.rules.TemporaryFolder;

/** ZooKeeper lock managers as ferryd makes them, on a host whose secret files are read as they are. */
final class Managers {
    private Managers() {
    }

    /**
     * A ZooKeeper server on loopback whose files are all in {@code folder}: ZooKeeper writes its configuration
     * ({@code zookeeper.configuration*.properties}) beside its data directory, which Curator's default puts in
     * java.io.tmpdir, and nobody deletes it.
     */
    static TestingServer zooKeeper(TemporaryFolder folder) throws Exception {
        return new TestingServer(new InstanceSpec(folder.newFolder("zookeeper"), -1, -1, -1, true, -1), true);
    }

    static ZooKeeperLockManager manager(String connect) throws Exception {
        return manager(connect, "");
    }

    /** @param authFile its first line is user:password; empty: none */
    static ZooKeeperLockManager manager(String connect, String authFile) throws Exception {
        return new ZooKeeperLockManager(HOST, new ZooKeeperLockManager.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return ZooKeeperLockManager.Config.class;
            }

            @Override
            public String connect() {
                return connect;
            }

            @Override
            public String root() {
                return "/ferry/leases";
            }

            @Override
            public int sessionTimeoutSeconds() {
                return 15;
            }

            @Override
            public String authFile() {
                return authFile;
            }
        });
    }

    /** The file checks themselves are the core's (OwnFilesTest): here a secret is a file's first line. */
    private static final HostSettings HOST = new HostSettings() {
        @Override
        @Deprecated
        public Optional<String> override(String key) {
            return Optional.empty();
        }

        @Override
        public Path resolve(String path) {
            return Path.of(path);
        }

        @Override
        public Path stateDir() {
            throw new IllegalStateException("no state directory");
        }

        @Override
        public String readSecret(String path) throws IOException {
            return Files.readAllLines(Path.of(path)).get(0);
        }
    };
}
