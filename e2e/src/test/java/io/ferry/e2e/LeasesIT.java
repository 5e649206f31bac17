package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.launcher.LocalDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.junit.Test;

/**
 * Disk leases make "never run twice" true: the same definition cannot start on a second host while the first
 * runs it, and after a migration the source cannot start it again. Once with the file lock manager (a shared
 * lease directory), once with ZooKeeper (a real server on loopback).
 */
public class LeasesIT {
    private static final String VM = """
            <domain type='sim'>
              <name>NAME</name>
              <uuid>UUID</uuid>
              <memory unit='MiB'>16</memory>
              <metadata><sim:workload xmlns:sim='http://ferry.io/xmlns/sim/1.0' dirty-pages-per-second='0'/></metadata>
              <devices>
                <disk type='file' device='disk'><source file='/images/NAME-0.img'/><target dev='vda'/></disk>
                <disk type='file' device='disk'><source file='/images/NAME-1.img'/><target dev='vdb'/></disk>
              </devices>
            </domain>
            """;

    @Test
    public void fileLeasesKeepADomainOnOneHost() throws Exception {
        Path work = Files.createTempDirectory(Installation.work(), "leases-file");
        List<String> flags = LocalDaemon.sharedLeases(work);
        try (LocalDaemon a = LocalDaemon.start(Installation.HOME, work, "host-a", flags, Map.of());
                LocalDaemon b = LocalDaemon.start(Installation.HOME, work, "host-b", flags, Map.of())) {
            neverTwice(a, b, "leased-file", "6c0a1f8e-0b2e-4e0f-9a51-2f3c4d5e6f01");
        }
    }

    @Test
    public void zooKeeperLeasesKeepADomainOnOneHost() throws Exception {
        Path work = Files.createTempDirectory(Installation.work(), "leases-zk");
        try (TestingServer zookeeper = zooKeeper(work)) {
            List<String> flags = List.of("--lock-manager", "zookeeper", "--zookeeper", zookeeper.getConnectString());
            try (LocalDaemon a = LocalDaemon.start(Installation.HOME, work, "host-a", flags, Map.of());
                    LocalDaemon b = LocalDaemon.start(Installation.HOME, work, "host-b", flags, Map.of())) {
                neverTwice(a, b, "leased-zk", "6c0a1f8e-0b2e-4e0f-9a51-2f3c4d5e6f02");
            }
        }
    }

    /** With credentials, the hosts hand leases over as before, and no other client of the ensemble can free one. */
    @Test
    public void zooKeeperLeasesWithCredentialsAreTheHostsAlone() throws Exception {
        Path work = Files.createTempDirectory(Installation.work(), "leases-zk-auth");
        Path auth = Files.writeString(work.resolve("zookeeper.auth"), "ferry:s3cret\n");
        Files.setPosixFilePermissions(auth, PosixFilePermissions.fromString("rw-------"));
        try (TestingServer zookeeper = zooKeeper(work);
                CuratorFramework stranger = CuratorFrameworkFactory.newClient(zookeeper.getConnectString(), new RetryOneTime(100))) {
            stranger.start();
            List<String> flags = List.of("--lock-manager", "zookeeper", "--zookeeper", zookeeper.getConnectString(),
                    "--zookeeper-auth-file", auth.toString());
            try (LocalDaemon a = LocalDaemon.start(Installation.HOME, work, "host-a", flags, Map.of());
                    LocalDaemon b = LocalDaemon.start(Installation.HOME, work, "host-b", flags, Map.of())) {
                neverTwice(a, b, "leased-zk-auth", "6c0a1f8e-0b2e-4e0f-9a51-2f3c4d5e6f04");
                String leases = "/ferry/leases";
                for (String lease : stranger.getChildren().forPath(leases)) {
                    assertThrows(KeeperException.NoAuthException.class, () -> stranger.delete().forPath(leases + "/" + lease + "/holder"));
                }
                Installation.Result again = Installation.ferry("-c", a.uri(), "start", "leased-zk-auth");
                assertTrue(again.err(), again.err().contains("is held by host-b"));
            }
            Files.setPosixFilePermissions(auth, PosixFilePermissions.fromString("rw-r--r--"));
            try (LocalDaemon c = LocalDaemon.start(Installation.HOME, work, "host-c", flags, Map.of())) {
                define(c, "leased-zk-open", "6c0a1f8e-0b2e-4e0f-9a51-2f3c4d5e6f05");
                Installation.Result refused = Installation.ferry("-c", c.uri(), "start", "leased-zk-open");
                assertEquals(refused.toString(), 1, refused.exit());
                assertTrue(c.log(), c.log().contains("the zookeeper lock manager cannot start: " + auth
                        + " holds a secret but is open to its group or others (rw-r--r--): chmod 600 " + auth));
            }
        }
    }

    @Test
    public void differentLockManagersRefuseTheMigrationAtPrepare() throws Exception {
        Path work = Files.createTempDirectory(Installation.work(), "leases-mismatch");
        try (TestingServer zookeeper = zooKeeper(work);
                LocalDaemon a = LocalDaemon.start(Installation.HOME, work, "host-a", LocalDaemon.sharedLeases(work),
                        Map.of());
                LocalDaemon b = LocalDaemon.start(Installation.HOME, work, "host-b",
                        List.of("--lock-manager", "zookeeper", "--zookeeper", zookeeper.getConnectString()), Map.of())) {
            String name = "leased-mismatch";
            define(a, name, "6c0a1f8e-0b2e-4e0f-9a51-2f3c4d5e6f03");
            Installation.ferryOk("-c", a.uri(), "start", name);
            Installation.Result refused = Installation.ferry("-c", a.uri(), "migrate", "--live", name, b.uri());
            assertEquals(refused.toString(), 1, refused.exit());
            assertTrue(refused.err(), refused.err().contains("lock manager mismatch: the source uses file, this host zookeeper"));
            assertTrue(Installation.ferryOk("-c", a.uri(), "dominfo", name).out().contains("running"));
            Installation.Result v2 = Installation.ferry("-c", a.uri(), "migrate", "--live", "--v2", name, b.uri());
            assertEquals(v2.toString(), 1, v2.exit());
            assertEquals("error: Cannot use migrate v2 protocol with lock manager file\n", v2.err());
        }
    }

    private static void neverTwice(LocalDaemon a, LocalDaemon b, String name, String uuid) throws Exception {
        define(a, name, uuid);
        define(b, name, uuid);
        Installation.ferryOk("-c", a.uri(), "start", name);
        Installation.Result second = Installation.ferry("-c", b.uri(), "start", name);
        assertEquals(second.toString(), 1, second.exit());
        assertTrue(second.err(), second.err().startsWith("error: Failed to acquire lock: resource /images/" + name)
                && second.err().contains("is held by host-a"));

        Installation.ferryOk("-c", a.uri(), "migrate", "--live", name, b.uri());
        assertTrue(Installation.ferryOk("-c", b.uri(), "dominfo", name).out().contains("State:          running"));
        Installation.Result again = Installation.ferry("-c", a.uri(), "start", name);
        assertEquals(again.toString(), 1, again.exit());
        assertTrue(again.err(), again.err().contains("is held by host-b"));
    }

    private static void define(LocalDaemon daemon, String name, String uuid) throws Exception {
        Path file = Files.writeString(Files.createTempFile(Installation.work(), name, ".xml"),
                VM.replace("NAME", name).replace("UUID", uuid));
        Installation.ferryOk("-c", daemon.uri(), "define", file.toString());
    }

    /**
     * A ZooKeeper server on loopback whose files are all in {@code work}: ZooKeeper writes its configuration
     * ({@code zookeeper.configuration*.properties}) beside its data directory, which Curator's default puts in
     * java.io.tmpdir, and nobody deletes it.
     */
    private static TestingServer zooKeeper(Path work) throws Exception {
        return new TestingServer(new InstanceSpec(Files.createDirectories(work.resolve("zookeeper")).toFile(), -1, -1, -1, true, -1),
                true);
    }
}
