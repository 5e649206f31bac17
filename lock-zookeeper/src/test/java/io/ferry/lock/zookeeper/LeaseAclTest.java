package io.ferry.lock.zookeeper;

import static io.ferry.lock.zookeeper.Managers.manager;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.UUID;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * With credentials, the lease nodes are the hosts' alone: another client of the ensemble (a real ZooKeeper server on
 * loopback) can read them, but neither delete a holder (and let a second host start a running VM) nor make nodes.
 */
public class LeaseAclTest {
    private static final String NODE = "/ferry/leases/" + ZooKeeperLockManager.key("/images/a.img");

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();
    private TestingServer server;
    /** A client of the ensemble without the hosts' credentials. */
    private CuratorFramework stranger;
    private ZooKeeperLockManager hostA;
    private ZooKeeperLockManager hostB;
    private final UUID vm = UUID.randomUUID();
    private final LeaseRequest requestA = diskA("host-a");
    private final LeaseRequest requestB = diskA("host-b");

    @Before
    public void start() throws Exception {
        server = Managers.zooKeeper(folder);
        stranger = CuratorFrameworkFactory.newClient(server.getConnectString(), new RetryOneTime(100));
        stranger.start();
    }

    @After
    public void stop() throws Exception {
        for (ZooKeeperLockManager host : new ZooKeeperLockManager[] {hostA, hostB}) {
            if (host != null) {
                host.close();
            }
        }
        stranger.close();
        server.close();
    }

    /** host-a and host-b, with the same credentials. */
    private void startHosts() throws Exception {
        hostA = manager(server.getConnectString(), credentials("ferry:s3cret"));
        hostB = manager(server.getConnectString(), credentials("ferry:s3cret"));
    }

    @Test
    public void anotherClientOfTheEnsembleCannotDeleteAHolder() throws Exception {
        startHosts();
        hostA.acquire(requestA, null);
        assertRefused(() -> stranger.delete().forPath(NODE + "/holder"));
        assertRefused(() -> stranger.delete().forPath(NODE));
        assertRefused(() -> stranger.setData().forPath(NODE, new byte[0]));
        assertRefused(() -> stranger.create().forPath("/ferry/leases/planted"));
        assertTrue(new String(stranger.getData().forPath(NODE + "/holder"), StandardCharsets.UTF_8).startsWith("host-a|"));
        try {
            hostB.acquire(requestB, null);
            fail("host-b took the disk of a VM that runs on host-a");
        } catch (LockException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("/images/a.img is held by host-a"));
        }
    }

    @Test
    public void hostsWithTheSameCredentialsHandALeaseOver() throws Exception {
        startHosts();
        String released = hostA.acquire(requestA, null).release();
        assertNotEquals(released, hostB.acquire(requestB, released).state());
        assertTrue(new String(stranger.getData().forPath(NODE + "/holder"), StandardCharsets.UTF_8).startsWith("host-b|"));
        assertRefused(() -> stranger.delete().forPath(NODE + "/holder"));
    }

    /** ZooKeeper keeps authentication per session: the new session after an expired one must have it too. */
    @Test
    public void aNewSessionAuthenticatesAgain() throws Exception {
        startHosts();
        hostA.acquire(requestA, null);
        ZooKeeper expired = hostA.client().getZookeeperClient().getZooKeeper();
        expired.getTestable().injectSessionExpiration();
        for (int i = 0; i < 600 && sessionOf(hostA) == expired.getSessionId(); i++) {
            Thread.sleep(50);
        }
        assertNotEquals("no new session", expired.getSessionId(), sessionOf(hostA));
        hostA.acquire(requestA, null).release(); // its own lease, held across the sessions: taken and given back
    }

    @Test
    public void otherCredentialsAreRefusedAtStartNamingThem() throws Exception {
        hostA = manager(server.getConnectString(), credentials("ferry:s3cret"));
        String wrong = credentials("ferry:typo");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> manager(server.getConnectString(), wrong));
        assertTrue(e.getMessage(), e.getMessage().startsWith("ZooKeeper refuses the credentials of " + wrong
                + " (user ferry) on the lease root /ferry/leases (NoAuth; its ACL: [digest:ferry:"));
        assertTrue(e.getMessage(), e.getMessage().endsWith("every host must use the same user:password"));
    }

    @Test
    public void aHostWithoutCredentialsIsRefusedSayingWhy() throws Exception {
        hostA = manager(server.getConnectString(), credentials("ferry:s3cret"));
        hostB = manager(server.getConnectString());
        LockException e = assertThrows(LockException.class, () -> hostB.acquire(requestB, null));
        assertTrue(e.getMessage(), e.getMessage().contains("ZooKeeper refuses no credentials (authFile is unset) for "
                + "/ferry/leases"));
        assertTrue(e.getMessage(), e.getMessage().contains("(authFile, ferryd --zookeeper-auth-file); every host needs the same"));
    }

    /** An upgraded ensemble: the nodes an earlier version left open are closed, each lease keeping holder and state. */
    @Test
    public void openNodesOfAnEarlierVersionAreClosedKeepingTheirLeases() throws Exception {
        ZooKeeperLockManager earlier = manager(server.getConnectString());
        String released = earlier.acquire(requestA, null).release();
        LeaseRequest otherDisk = new LeaseRequest("other", UUID.randomUUID(), List.of("/images/b.img"), "host-a",
                requestA.ownerUuid());
        earlier.acquire(otherDisk, null);
        earlier.close();
        startHosts();
        String held = "/ferry/leases/" + ZooKeeperLockManager.key("/images/b.img") + "/holder";
        assertRefused(() -> stranger.delete().forPath(held));
        assertRefused(() -> stranger.create().forPath(NODE + "/holder"));
        assertRefused(() -> stranger.create().forPath("/ferry/leases/planted"));
        hostB.acquire(requestB, released); // the state released before the upgrade still good
        hostA.acquire(otherDisk, null).release(); // the holder made before the upgrade still host-a's
    }

    /**
     * ZooKeeper's {@code /} lets every client make nodes: one that made the lease root before the hosts' first start
     * with credentials gave it its own ACL, which lets it delete a free lease node (a delete is checked against the
     * parent's ACL), make it anew with that ACL, and later delete the holder a host made there.
     */
    @Test
    public void aLeaseRootAnotherClientMadeBeforehandBecomesTheHosts() throws Exception {
        stranger.create().creatingParentsIfNeeded().withACL(everyAddress(ZooDefs.Perms.ALL)).forPath("/ferry/leases");
        startHosts();
        hostA.acquire(requestA, null).release(); // a free lease
        try {
            stranger.delete().forPath(NODE);
            stranger.create().withACL(everyAddress(ZooDefs.Perms.ALL))
                    .forPath(NODE, LeaseNode.newData("/images/a.img"));
        } catch (KeeperException.NoAuthException refused) {
            // as it should
        }
        hostA.acquire(requestA, null);
        try {
            stranger.delete().forPath(NODE + "/holder");
        } catch (KeeperException.NoAuthException refused) {
            // as it should
        }
        LockException e = assertThrows("host-b took the disk of a VM that runs on host-a", LockException.class,
                () -> hostB.acquire(requestB, null));
        assertTrue(e.getMessage(), e.getMessage().contains("/images/a.img is held by host-a"));
        assertRefused(() -> stranger.create().forPath("/ferry/leases/planted"));
        assertRefused(() -> stranger.setACL().withACL(everyAddress(ZooDefs.Perms.ALL)).forPath("/ferry/leases"));
        // as ZooKeeper names the hosts (to another client it shows digest:ferry:x): their own nodes are not closed anew
        LeaseAcls.Credentials hosts = LeaseAcls.Credentials.parse("ferry:s3cret", "a file");
        assertEquals(List.of(), LeaseAcls.writableByOthers(hostA.client().getACL().forPath(NODE), hosts.identity()));
    }

    @Test
    public void aLeaseRootAnotherClientKeepsWritableRefusesTheStartNamingIt() throws Exception {
        int allButAdmin = ZooDefs.Perms.ALL & ~ZooDefs.Perms.ADMIN;
        stranger.create().creatingParentsIfNeeded().withACL(everyAddress(allButAdmin)).forPath("/ferry/leases");
        String file = credentials("ferry:s3cret");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> manager(server.getConnectString(), file));
        assertEquals("ZooKeeper refuses the credentials of " + file + " (user ferry) to make the lease root"
                + " /ferry/leases the hosts' (NoAuth; its ACL: [ip:0.0.0.0/0:rwcd]): other clients may delete and make"
                + " lease nodes there (ip:0.0.0.0/0:rwcd); set its ACL by hand (docs/migration.md, Who may change the"
                + " ZooKeeper leases)",
                e.getMessage());
    }

    @Test
    public void aCredentialsFileWithoutAPasswordIsRefusedNamingIt() throws Exception {
        String file = credentials("ferry");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> manager(server.getConnectString(), file));
        assertEquals("cannot read the ZooKeeper credentials file: " + file + " does not hold user:password on its first line",
                e.getMessage());
    }

    private LeaseRequest diskA(String host) {
        return new LeaseRequest("vm", vm, List.of("/images/a.img"), host, UUID.randomUUID());
    }

    /** The ACL of a client that grants {@code perms} to every IPv4 address, the hosts' among them. */
    private static List<ACL> everyAddress(int perms) {
        return List.of(new ACL(perms, new Id("ip", "0.0.0.0/0")));
    }

    private static long sessionOf(ZooKeeperLockManager manager) throws Exception {
        return manager.client().getZookeeperClient().getZooKeeper().getSessionId();
    }

    private String credentials(String userAndPassword) throws Exception {
        return Files.writeString(Files.createTempFile(folder.getRoot().toPath(), "zookeeper", ".auth"), userAndPassword + "\n")
                .toString();
    }

    private static void assertRefused(ZooKeeperCall call) throws Exception {
        try {
            call.run();
            fail("a client without the hosts' credentials changed the lease nodes");
        } catch (KeeperException.NoAuthException expected) {
            // as it should
        }
    }

    @FunctionalInterface
    private interface ZooKeeperCall {
        void run() throws Exception;
    }
}
