package io.ferry.lock.zookeeper;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may change the lease nodes: with credentials, only a client that authenticated with them (ZooKeeper's digest
 * scheme), so that no other client of the ensemble can delete a holder and let a second host start a running VM.
 * Anyone may read them: nothing in them is secret (a disk's source, a host's name and UUID, a domain's name), and so
 * operators and monitors can find a gone host's holders, and a host not yet given the credentials can still confirm
 * the leases it holds, without the password.
 */
final class LeaseAcls {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseAcls.class);
    /**
     * ZooKeeper puts the session's authenticated identities (the digest of user:password) for {@code auth}. Not a
     * {@code List.of}: the client asks it whether it contains null, which such a list answers with an exception.
     */
    static final List<ACL> HOSTS_ONLY = Collections.unmodifiableList(Arrays.asList(
            new ACL(ZooDefs.Perms.ALL, ZooDefs.Ids.AUTH_IDS), new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE)));
    /** Every node the manager creates, the lease root's parents among them. */
    static final ACLProvider PROVIDER = new ACLProvider() {
        @Override
        public List<ACL> getDefaultAcl() {
            return HOSTS_ONLY;
        }

        @Override
        public List<ACL> getAclForPath(String path) {
            return HOSTS_ONLY;
        }
    };

    private LeaseAcls() {
    }

    /** The credentials of a file holding {@code user:password}; {@code description} names them in errors. */
    record Credentials(byte[] userAndPassword, String description) {
        static Credentials parse(String line, String file) {
            int colon = line.indexOf(':');
            if (colon <= 0 || colon == line.length() - 1) {
                throw new IllegalStateException(file + " does not hold user:password on its first line");
            }
            return new Credentials(line.getBytes(StandardCharsets.UTF_8), "the credentials of " + file + " (user " + line.substring(0, colon) + ")");
        }
    }

    /**
     * Makes the lease root the hosts' (creating it if missing), and closes each lease node and holder an earlier
     * version (or a host without credentials) left open to every client: only its ACL changes, not its data nor its
     * data version, so every lease keeps its holder and its state.
     *
     * @throws IllegalStateException when ZooKeeper refuses the credentials: another user:password secured the leases
     */
    static void secure(CuratorFramework client, String root, Credentials credentials) throws Exception {
        int closed;
        try {
            if (client.checkExists().forPath(root) == null) {
                try {
                    client.create().creatingParentsIfNeeded().forPath(root, new byte[0]);
                } catch (KeeperException.NodeExistsException raced) {
                    // another host made it first
                }
            }
            closed = close(client, root) ? 1 : 0;
            client.setData().forPath(root, new byte[0]); // changes nothing the leases use; refused to other credentials
        } catch (KeeperException.NoAuthException e) {
            String node = e.getPath() != null ? e.getPath() : root;
            throw new IllegalStateException("ZooKeeper refuses " + credentials.description() + " on "
                    + (node.equals(root) ? "the lease root " : "") + node + " (NoAuth; its ACL: "
                    + aclOf(client, node) + "): the leases were secured with other credentials;"
                    + " every host must use the same user:password");
        }
        for (String lease : client.getChildren().forPath(root)) {
            String node = root + "/" + lease;
            closed += close(client, node) ? 1 : 0; // before its children are listed: no open holder is made after
            for (String child : children(client, node)) {
                closed += close(client, node + "/" + child) ? 1 : 0;
            }
        }
        if (closed > 0) {
            LOG.warn("{} lease nodes under {} were open to every ZooKeeper client (made by an earlier version or a host"
                    + " without credentials); they are now writable with {} only", closed, root, credentials.description());
        }
    }

    /** Sets {@link #HOSTS_ONLY} on {@code node} if any client may change it; true if it did. */
    private static boolean close(CuratorFramework client, String node) throws Exception {
        Stat stat = new Stat();
        try {
            if (!isOpen(client.getACL().storingStatIn(stat).forPath(node))) {
                return false;
            }
        } catch (KeeperException.NoNodeException | KeeperException.NoAuthException e) {
            return false; // deleted, or not even readable by anyone: not open (a take of it says it is refused)
        }
        try {
            client.setACL().withVersion(stat.getAversion()).withACL(HOSTS_ONLY).forPath(node);
            return true;
        } catch (KeeperException.NoNodeException | KeeperException.BadVersionException e) {
            return false; // deleted, or closed by another host starting at the same moment
        } catch (KeeperException.NoAuthException e) {
            LOG.warn("lease node {} is open to every ZooKeeper client, but its ACL ({}) lets nobody change it: set it by"
                    + " hand (docs/migration.md, Who may change the ZooKeeper leases)", node, aclOf(client, node));
            return false;
        }
    }

    private static List<String> children(CuratorFramework client, String node) throws Exception {
        try {
            return client.getChildren().forPath(node);
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        }
    }

    /** Any client may do more than read it. */
    static boolean isOpen(List<ACL> acl) {
        return acl.stream().anyMatch(entry -> entry.getId().equals(ZooDefs.Ids.ANYONE_ID_UNSAFE)
                && (entry.getPerms() & ~ZooDefs.Perms.READ) != 0);
    }

    private static String aclOf(CuratorFramework client, String node) {
        try {
            return describe(client.getACL().forPath(node));
        } catch (Exception e) {
            return "not readable";
        }
    }

    static String describe(List<ACL> acl) {
        return acl.stream().map(entry -> entry.getId().getScheme() + ":" + entry.getId().getId() + ":" + perms(entry.getPerms()))
                .toList().toString();
    }

    private static String perms(int perms) {
        StringBuilder text = new StringBuilder();
        String letters = "rwcda"; // ZooKeeper's order: READ 1, WRITE 2, CREATE 4, DELETE 8, ADMIN 16
        for (int bit = 0; bit < letters.length(); bit++) {
            if ((perms & (1 << bit)) != 0) {
                text.append(letters.charAt(bit));
            }
        }
        return text.toString();
    }
}
