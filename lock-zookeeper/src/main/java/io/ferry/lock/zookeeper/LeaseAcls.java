package io.ferry.lock.zookeeper;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
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

        /**
         * The identity ZooKeeper gives a session that authenticated with them, as its ACLs name it: {@code digest},
         * {@code user:} and the base64 SHA-1 of {@code user:password} (the digest scheme's, as zkCli's setAcl takes
         * it).
         */
        Id identity() {
            String userAndPassword = new String(this.userAndPassword, StandardCharsets.UTF_8);
            try {
                byte[] hash = MessageDigest.getInstance("SHA-1").digest(this.userAndPassword);
                return new Id("digest", userAndPassword.substring(0, userAndPassword.indexOf(':')) + ":"
                        + Base64.getEncoder().encodeToString(hash));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * Makes the lease root the hosts' (creating it if missing), and closes each lease node and holder that another
     * client may change: one an earlier version (or a host without credentials) left open to every client, or one
     * another client of the ensemble made with its own ACL (ZooKeeper's {@code /} lets anyone make nodes, the lease
     * root among them, before the hosts' first start). Only its ACL changes, not its data nor its data version, so
     * every lease keeps its holder and its state.
     *
     * @throws IllegalStateException when ZooKeeper refuses the credentials: another user:password secured the leases,
     *         or another client keeps the lease root writable and the hosts may not change its ACL
     */
    static void secure(CuratorFramework client, String root, Credentials credentials) throws Exception {
        Id hosts = credentials.identity();
        int closed;
        try {
            if (client.checkExists().forPath(root) == null) {
                try {
                    client.create().creatingParentsIfNeeded().forPath(root, new byte[0]);
                } catch (KeeperException.NodeExistsException raced) {
                    // another host made it first
                }
            }
            client.setData().forPath(root, new byte[0]); // changes nothing the leases use; refused to other credentials
        } catch (KeeperException.NoAuthException e) {
            String node = e.getPath() != null ? e.getPath() : root;
            throw new IllegalStateException("ZooKeeper refuses " + credentials.description() + " on "
                    + (node.equals(root) ? "the lease root " : "") + node + " (NoAuth; its ACL: "
                    + aclOf(client, node) + "): the leases were secured with other credentials;"
                    + " every host must use the same user:password");
        }
        try {
            closed = close(client, root, hosts) ? 1 : 0;
        } catch (KeeperException.NoAuthException e) {
            throw rootKeptWritable(client, root, credentials);
        }
        for (String lease : client.getChildren().forPath(root)) {
            String node = root + "/" + lease;
            closed += closeOrWarn(client, node, hosts); // before its children are listed: no open holder is made after
            for (String child : children(client, node)) {
                closed += closeOrWarn(client, node + "/" + child, hosts);
            }
        }
        if (closed > 0) {
            LOG.warn("{} lease nodes under {} were writable by other ZooKeeper clients (made by an earlier version, a"
                    + " host without credentials or another client); they are now writable with {} only", closed, root,
                    credentials.description());
        }
    }

    /**
     * The refusal to start on a lease root that other clients may change and the hosts may not close: whoever may
     * delete a free lease node there may make it anew with its own ACL, and delete the holder a host makes in it later.
     */
    private static IllegalStateException rootKeptWritable(CuratorFramework client, String root, Credentials credentials)
            throws Exception {
        List<ACL> acl = client.getACL().forPath(root);
        return new IllegalStateException("ZooKeeper refuses " + credentials.description() + " to make the lease root "
                + root + " the hosts' (NoAuth; its ACL: " + describe(acl) + "): other clients may delete and make lease"
                + " nodes there (" + String.join(", ", entries(writableByOthers(acl, credentials.identity())))
                + "); set its ACL by hand (docs/migration.md, Who may change the ZooKeeper leases)");
    }

    /** As {@link #close}, 1 if it closed the node; a node the hosts may not close is said in the log. */
    private static int closeOrWarn(CuratorFramework client, String node, Id hosts) throws Exception {
        try {
            return close(client, node, hosts) ? 1 : 0;
        } catch (KeeperException.NoAuthException e) {
            LOG.warn("lease node {} is writable by other ZooKeeper clients, but its ACL ({}) does not let the hosts"
                    + " change it: set it by hand (docs/migration.md, Who may change the ZooKeeper leases)", node,
                    aclOf(client, node));
            return 0;
        }
    }

    /**
     * Sets {@link #HOSTS_ONLY} on {@code node} if another client than the hosts may change it; true if it did.
     *
     * @throws KeeperException.NoAuthException the hosts may not change its ACL
     */
    private static boolean close(CuratorFramework client, String node, Id hosts) throws Exception {
        Stat stat = new Stat();
        try {
            if (writableByOthers(client.getACL().storingStatIn(stat).forPath(node), hosts).isEmpty()) {
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
        }
    }

    private static List<String> children(CuratorFramework client, String node) throws Exception {
        try {
            return client.getChildren().forPath(node);
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        }
    }

    /**
     * The entries of {@code acl} that let another identity than the hosts' do more than read: any client's
     * ({@code world:anyone}), an address's ({@code ip}) or another user's.
     */
    static List<ACL> writableByOthers(List<ACL> acl, Id hosts) {
        return acl.stream().filter(entry -> !entry.getId().equals(hosts))
                .filter(entry -> (entry.getPerms() & ~ZooDefs.Perms.READ) != 0).toList();
    }

    private static String aclOf(CuratorFramework client, String node) {
        try {
            return describe(client.getACL().forPath(node));
        } catch (Exception e) {
            return "not readable";
        }
    }

    static String describe(List<ACL> acl) {
        return entries(acl).toString();
    }

    /** Each entry as SCHEME:ID:PERMS. */
    private static List<String> entries(List<ACL> acl) {
        return acl.stream().map(entry -> entry.getId().getScheme() + ":" + entry.getId().getId() + ":" + perms(entry.getPerms()))
                .toList();
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
