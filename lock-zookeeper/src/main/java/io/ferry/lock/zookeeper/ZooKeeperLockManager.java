package io.ferry.lock.zookeeper;

import io.ferry.api.host.HostSettings;
import io.ferry.api.lock.Lease;
import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import io.ferry.api.lock.LockManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Disk leases in ZooKeeper, for hosts that share no file system. A lease's state is its node's data version, which
 * every acquire and release advances, counted from a random base the node was made with ({@link LeaseNode}); its
 * holder outlives the daemon's session ({@link LeaseNodes}) and names its host by UUID, which no other running daemon
 * may have ({@link HostRuns}). With credentials, only the hosts may change the nodes ({@link LeaseAcls}).
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

        /**
         * A file holding {@code user:password}, the same on every host, that only ferryd's user may read (ferryd
         * --zookeeper-auth-file); relative to the installation. Empty: the lease nodes are open to every client.
         */
        String authFile() default "";
    }

    private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperLockManager.class);

    private final CuratorFramework client;
    private final LeaseNodes nodes;
    private final HostRuns runs;

    @Activate
    public ZooKeeperLockManager(@Reference HostSettings host, Config config) throws Exception {
        String connect = config.connect().trim();
        if (connect.isEmpty()) {
            throw new IllegalStateException("no ZooKeeper ensemble configured: set connect in etc/io.ferry.lock.zookeeper.cfg"
                    + " or start ferryd with --zookeeper HOST:PORT");
        }
        LeaseAcls.Credentials credentials = credentials(host, config.authFile().trim());
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder().connectString(connect)
                .sessionTimeoutMs(config.sessionTimeoutSeconds() * 1000).connectionTimeoutMs(10_000)
                .retryPolicy(new ExponentialBackoffRetry(200, 5));
        if (credentials != null) {
            // Curator adds them to every ZooKeeper client it makes: a new session (the old one expired) has them too
            builder.authorization("digest", credentials.userAndPassword()).aclProvider(LeaseAcls.PROVIDER);
        }
        this.client = builder.build();
        client.start();
        try {
            if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("cannot reach ZooKeeper at " + connect);
            }
            if (credentials != null) {
                LeaseAcls.secure(client, config.root(), credentials);
            }
            this.runs = new HostRuns(client, config.root());
        } catch (Exception e) {
            client.close();
            LOG.error("the zookeeper lock manager cannot start: {}", e.getMessage());
            throw e;
        }
        this.nodes = new LeaseNodes(client, config.root(), credentials == null ? "no credentials (authFile is unset)"
                : credentials.description());
    }

    private static LeaseAcls.Credentials credentials(HostSettings host, String authFile) {
        if (authFile.isEmpty()) {
            LOG.warn("the zookeeper lock manager has no credentials (authFile in etc/io.ferry.lock.zookeeper.cfg, ferryd"
                    + " --zookeeper-auth-file): any client that reaches the ensemble can delete a lease's holder and let a"
                    + " second host start a VM that runs");
            return null;
        }
        try {
            return LeaseAcls.Credentials.parse(host.readSecret(authFile), authFile);
        } catch (IOException | IllegalStateException e) {
            LOG.error("the zookeeper lock manager cannot start: {}", e.getMessage());
            throw new IllegalStateException("cannot read the ZooKeeper credentials file: " + e.getMessage(), e);
        }
    }

    @Deactivate
    void close() {
        client.close();
    }

    CuratorFramework client() {
        return client;
    }

    @Override
    public boolean usesState() {
        return true;
    }

    @Override
    public Lease acquire(LeaseRequest request, String state) throws LockException {
        Map<String, Integer> expected = state == null ? Map.of() : parse(state);
        runs.alone(request);
        return new ZooKeeperLease(nodes, runs, request, nodes.take(request, expected, UUID.randomUUID().toString()));
    }

    @Override
    public Optional<String> heldElsewhere(LeaseRequest request) throws LockException {
        runs.alone(request);
        return nodes.heldElsewhere(request);
    }

    /**
     * Gives back as {@link ZooKeeperLease#release} does, from the versions they were held at: a lease free and advanced
     * exactly once since is this host's own give-back, gone through unanswered before the restart (the only write that
     * frees a lease and advances it once), and its state is handed on; one another host held since is refused. A state
     * that names no lease of a resource requested now was not held with it, and that lease is not given back: the
     * domain's own lease in a state from before domain leases, a disk's spelling in one from before spellings were
     * leased (e09d3a84 to this build): refused, a paused guest whose release went unanswered stayed paused for good.
     */
    @Override
    public Lease held(LeaseRequest request, String heldState) throws LockException {
        runs.note(request); // another daemon of this host's UUID refuses its give-back, not this running guest
        if (heldState == null) {
            return acquire(request, null);
        }
        Map<String, Integer> byKey = parse(heldState);
        Map<String, Integer> versions = new LinkedHashMap<>();
        for (String resource : request.resources().stream().distinct().toList()) {
            Integer version = byKey.get(key(resource));
            if (version != null) { // none: not held with this state, nothing of it to give back
                versions.put(resource, version);
            }
        }
        return new ZooKeeperLease(nodes, runs, request, versions);
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
