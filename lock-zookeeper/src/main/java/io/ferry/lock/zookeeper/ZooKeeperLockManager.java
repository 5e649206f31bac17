package io.ferry.lock.zookeeper;

import io.ferry.api.lock.Lease;
import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import io.ferry.api.lock.LockManager;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;

/**
 * Disk leases in ZooKeeper, for hosts that share no file system. A lease is the node {@code ROOT/KEY}; its
 * holder, an ephemeral child {@code holder} naming the host; its state, the node's data version, which every
 * acquire and release advances.
 */
@Component(service = LockManager.class, property = LockManager.NAME + "=zookeeper",
        configurationPid = "io.ferry.lock.zookeeper", configurationPolicy = ConfigurationPolicy.OPTIONAL)
public class ZooKeeperLockManager implements LockManager {
    /** The ZooKeeper lock manager's configuration. */
    public @interface Config {
        /** The ensemble, HOST:PORT[,HOST:PORT…] (ferryd --zookeeper). */
        String connect() default "";

        String root() default "/ferry/leases";

        int sessionTimeoutSeconds() default 15;
    }

    private final CuratorFramework client;
    private final String root;

    @Activate
    public ZooKeeperLockManager(Config config) throws InterruptedException {
        String connect = config.connect().trim();
        if (connect.isEmpty()) {
            throw new IllegalStateException("no ZooKeeper ensemble configured: set connect in etc/io.ferry.lock.zookeeper.cfg"
                    + " or start ferryd with --zookeeper HOST:PORT");
        }
        this.root = config.root();
        this.client = CuratorFrameworkFactory.newClient(connect, config.sessionTimeoutSeconds() * 1000, 10_000,
                new ExponentialBackoffRetry(200, 5));
        client.start();
        if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) {
            client.close();
            throw new IllegalStateException("cannot reach ZooKeeper at " + connect);
        }
    }

    @Deactivate
    void close() {
        client.close();
    }

    @Override
    public boolean usesState() {
        return true;
    }

    @Override
    public Lease acquire(LeaseRequest request, String state) throws LockException {
        Map<String, Integer> expected = state == null ? Map.of() : parse(state);
        Map<String, Integer> versions = new LinkedHashMap<>();
        List<String> taken = new ArrayList<>();
        try {
            for (String resource : request.resources()) {
                versions.put(resource, take(request, resource, expected.get(key(resource))));
                taken.add(resource);
            }
        } catch (LockException e) {
            for (String resource : taken) {
                giveBack(request, resource);
            }
            throw e;
        }
        return new ZooKeeperLease(this, request, versions);
    }

    private int take(LeaseRequest request, String resource, Integer expectedVersion) throws LockException {
        String node = root + "/" + key(resource);
        String holder = node + "/holder";
        String me = request.owner() + "|" + request.ownerUuid() + "|" + request.domainName();
        try {
            if (client.checkExists().forPath(node) == null) {
                try {
                    client.create().creatingParentsIfNeeded().forPath(node, resource.getBytes(StandardCharsets.UTF_8));
                } catch (KeeperException.NodeExistsException raced) {
                    // another host created it first: fine
                }
            }
            Stat stat = new Stat();
            if (client.checkExists().forPath(holder) != null) {
                String[] current = new String(client.getData().forPath(holder), StandardCharsets.UTF_8).split("\\|", 3);
                // this host's for this domain: another domain of this host on the same disk is another writer
                if (!current[1].equals(request.ownerUuid().toString()) || current.length < 3
                        || !current[2].equals(request.domainName())) {
                    throw new LockException("resource " + resource + " is held by " + current[0] + " (" + current[1]
                            + ") for domain " + (current.length > 2 ? current[2] : "?"));
                }
                client.delete().forPath(holder); // ours, from a daemon that restarted: take it with this session
            }
            client.getData().storingStatIn(stat).forPath(node);
            if (expectedVersion != null && stat.getVersion() != expectedVersion) {
                throw new LockException("lease of " + resource + " changed since it was released (version "
                        + stat.getVersion() + ", expected " + expectedVersion + "): another host used it meanwhile");
            }
            client.create().withMode(CreateMode.EPHEMERAL).forPath(holder, me.getBytes(StandardCharsets.UTF_8));
            return client.setData().withVersion(stat.getVersion()).forPath(node, resource.getBytes(StandardCharsets.UTF_8)).getVersion();
        } catch (KeeperException.NodeExistsException e) {
            throw new LockException("resource " + resource + " was taken by another host at the same moment");
        } catch (KeeperException.BadVersionException e) {
            throw new LockException("lease of " + resource + " changed while it was being taken");
        } catch (LockException e) {
            throw e;
        } catch (Exception e) {
            throw new LockException("cannot take the lease of " + resource + " in ZooKeeper: " + e.getMessage(), e);
        }
    }

    /** Releases one lease of ours; returns the version after release. */
    int giveBack(LeaseRequest request, String resource) throws LockException {
        String node = root + "/" + key(resource);
        try {
            if (client.checkExists().forPath(node + "/holder") != null) {
                String holder = new String(client.getData().forPath(node + "/holder"), StandardCharsets.UTF_8);
                if (holder.split("\\|", 3)[1].equals(request.ownerUuid().toString())) {
                    client.delete().forPath(node + "/holder");
                }
            }
            return client.setData().forPath(node, resource.getBytes(StandardCharsets.UTF_8)).getVersion();
        } catch (Exception e) {
            throw new LockException("cannot release the lease of " + resource + " in ZooKeeper: " + e.getMessage(), e);
        }
    }

    static String key(String resource) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(resource.getBytes(StandardCharsets.UTF_8)), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String format(Map<String, Integer> versions) {
        StringBuilder state = new StringBuilder();
        versions.forEach((resource, version) -> state.append(state.length() == 0 ? "" : ",").append(key(resource)).append(':').append(version));
        return state.toString();
    }

    static Map<String, Integer> parse(String state) throws LockException {
        Map<String, Integer> versions = new LinkedHashMap<>();
        for (String item : state.isBlank() ? new String[0] : state.split(",")) {
            int colon = item.indexOf(':');
            try {
                versions.put(item.substring(0, colon), Integer.parseInt(item.substring(colon + 1)));
            } catch (RuntimeException e) {
                throw new LockException("malformed lease state '" + state + "'");
            }
        }
        return versions;
    }
}
