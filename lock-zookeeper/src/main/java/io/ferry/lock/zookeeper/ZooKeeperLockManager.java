package io.ferry.lock.zookeeper;

import io.ferry.api.lock.Lease;
import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import io.ferry.api.lock.LockManager;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;

/**
 * Disk leases in ZooKeeper, for hosts that share no file system. A lease's state is its node's data version,
 * which every acquire and release advances; its holder outlives the daemon's session ({@link LeaseNodes}).
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
    private final LeaseNodes nodes;

    @Activate
    public ZooKeeperLockManager(Config config) throws InterruptedException {
        String connect = config.connect().trim();
        if (connect.isEmpty()) {
            throw new IllegalStateException("no ZooKeeper ensemble configured: set connect in etc/io.ferry.lock.zookeeper.cfg"
                    + " or start ferryd with --zookeeper HOST:PORT");
        }
        this.client = CuratorFrameworkFactory.newClient(connect, config.sessionTimeoutSeconds() * 1000, 10_000,
                new ExponentialBackoffRetry(200, 5));
        client.start();
        if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) {
            client.close();
            throw new IllegalStateException("cannot reach ZooKeeper at " + connect);
        }
        this.nodes = new LeaseNodes(client, config.root());
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
        return new ZooKeeperLease(nodes, request, nodes.take(request, expected, UUID.randomUUID().toString()));
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
