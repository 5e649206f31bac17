package io.ferry.lock.zookeeper;

import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemons that run with each host UUID: a holder names its host by its UUID alone (a host renamed keeps its
 * leases), so a second daemon with the same UUID (a hypervisor's image cloned with its state directory, a templated
 * {@code hostUuid}) would take the other's leases as its own and start a VM that runs there. Each manager registers an
 * ephemeral {@code ROOT/hosts/HOST-UUID/run-N} ({@code HOST|NONCE}, the nonce its own) for each UUID its requests name,
 * and refuses every take and give-back while another's is there; both see the clash, whichever came first.
 * <p>
 * A daemon that stopped closed its session, and its node went with it; one that crashed leaves its node until its
 * session expires. So a node of another run of this host's name found within twice the session timeout of the start
 * is waited for (a clone keeping the name is refused then); one of another name is refused at once (a host renamed
 * just after a crash, until its earlier run's session expires). A session expired (ZooKeeper out of reach that long)
 * takes this run's node along; it is made again as soon as a new session is there, and in between another daemon of
 * the UUID sees none.
 */
final class HostRuns {
    private static final Logger LOG = LoggerFactory.getLogger(HostRuns.class);
    private static final long POLL_MILLIS = 200;

    private final CuratorFramework client;
    private final String hosts;
    private final String nonce = UUID.randomUUID().toString();
    /** Until then a node of another run may be this host's own, from before a crash, whose session has not expired. */
    private final long previousRunGoneBy;
    /** This run's node in each host UUID's directory, by the UUID: its name, once made. */
    private final Map<UUID, String> nodes = new ConcurrentHashMap<>();
    /** This daemon's host name by host UUID, as its requests named them. */
    private final Map<UUID, String> names = new ConcurrentHashMap<>();
    /** The other runs already logged. */
    private final Set<String> reported = ConcurrentHashMap.newKeySet();

    HostRuns(CuratorFramework client, String root) throws Exception {
        this.client = client;
        this.hosts = root + "/hosts";
        long sessionTimeout = client.getZookeeperClient().getZooKeeper().getSessionTimeout();
        this.previousRunGoneBy = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2 * sessionTimeout);
        client.getConnectionStateListenable().addListener((c, state) -> {
            if (state == ConnectionState.RECONNECTED) {
                names.forEach(this::registerOrLog); // the session may be new, and this run's nodes gone with the old
            }
        });
    }

    /**
     * Registers this run for the request's host UUID, and refuses while another daemon runs with it.
     *
     * @throws LockException naming the other daemon's host; with a cause when ZooKeeper could not tell
     */
    void alone(LeaseRequest request) throws LockException {
        names.putIfAbsent(request.ownerUuid(), request.owner());
        try {
            Optional<String> other = register(request.ownerUuid(), request.owner());
            while (other.filter(host -> mayBeEarlierRun(host, request.owner())).isPresent()) {
                Thread.sleep(POLL_MILLIS);
                other = register(request.ownerUuid(), request.owner());
            }
            if (other.isPresent()) {
                throw new LockException(reported(request.ownerUuid(), other.get()));
            }
        } catch (LockException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LockException("interrupted while waiting for an earlier run of host " + request.ownerUuid()
                    + " to end its ZooKeeper session", e);
        } catch (Exception e) {
            throw new LockException("cannot tell in ZooKeeper whether another daemon runs with host UUID "
                    + request.ownerUuid() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Registers this run for the request's host UUID if ZooKeeper is there, refusing nothing: a re-attach's
     * {@code held} needs no ZooKeeper, and a running guest's leases are not refused to it.
     */
    void note(LeaseRequest request) {
        if (names.putIfAbsent(request.ownerUuid(), request.owner()) == null
                && client.getZookeeperClient().isConnected()) {
            registerOrLog(request.ownerUuid(), request.owner());
        }
    }

    private void registerOrLog(UUID uuid, String name) {
        try {
            register(uuid, name).filter(host -> !mayBeEarlierRun(host, name)).ifPresent(host -> reported(uuid, host));
        } catch (Exception e) {
            LOG.warn("cannot register this daemon's run of host {} in ZooKeeper (its next take or give-back tries"
                    + " again): {}", uuid, e.getMessage());
        }
    }

    /**
     * Makes this run's node if it is not there; the host name of another run's, if there is one, one of another name
     * than {@code name} first. A take reads the directory's names, and the data of other runs' nodes only.
     */
    private synchronized Optional<String> register(UUID uuid, String name) throws Exception {
        String dir = hosts + "/" + uuid;
        List<String> runs = children(dir);
        String own = nodes.get(uuid);
        if (own == null || !runs.contains(own)) { // not made yet, or gone with an expired session
            try {
                String made = client.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL_SEQUENTIAL)
                        .forPath(dir + "/run-", (name + "|" + nonce).getBytes(StandardCharsets.UTF_8));
                own = made.substring(made.lastIndexOf('/') + 1);
                nodes.put(uuid, own);
                runs = children(dir); // read again once made: of two daemons registering at once, each sees the other's
            } catch (KeeperException.NoAuthException e) {
                // a host without the hosts' credentials: it reads the leases, and its takes say why they are refused
            }
        }
        List<String> others = new ArrayList<>();
        for (String run : runs) {
            String data = run.equals(own) ? "" : data(dir + "/" + run);
            int bar = data.lastIndexOf('|');
            // empty: this run's, or gone with its session meanwhile; this run's nonce: a create Curator repeated
            if (!data.isEmpty() && !data.substring(bar + 1).equals(nonce)) {
                others.add(bar > 0 ? data.substring(0, bar) : run);
            }
        }
        return others.stream().filter(host -> !host.equals(name)).findFirst().or(() -> others.stream().findFirst());
    }

    /** The clash's message, logged the first time. */
    private String reported(UUID uuid, String otherHost) {
        String clash = clash(uuid, otherHost);
        if (reported.add(uuid + "|" + otherHost)) {
            LOG.error(clash);
        }
        return clash;
    }

    /** A run of this host's name may be its daemon's before a crash, its session not expired yet. */
    private boolean mayBeEarlierRun(String otherHost, String name) {
        return otherHost.equals(name) && System.nanoTime() - previousRunGoneBy < 0;
    }

    private List<String> children(String dir) throws Exception {
        try {
            return client.getChildren().forPath(dir);
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        }
    }

    private String data(String node) throws Exception {
        try {
            return new String(client.getData().forPath(node), StandardCharsets.UTF_8);
        } catch (KeeperException.NoNodeException e) {
            return ""; // its session ended meanwhile
        }
    }

    private String clash(UUID uuid, String otherHost) {
        return "another daemon runs with this host's UUID " + uuid + ": host " + otherHost + " (its lock manager's"
                + " node in " + hosts + "/" + uuid + "), and each would take the other's leases as its own; give the"
                + " one whose state directory was copied from the other's (a cloned image) a UUID of its own (write it"
                + " into STATE/host-uuid there, and as its --host-uuid if one is given, and restart its daemon): until"
                + " then this host takes and gives back no lease in ZooKeeper";
    }
}
