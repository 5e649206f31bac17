package io.ferry.lock.zookeeper;

import io.ferry.api.lock.Lease;
import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import java.util.LinkedHashMap;
import java.util.Map;

/** A domain's leases held through the {@link ZooKeeperLockManager}. */
final class ZooKeeperLease implements Lease {
    private final LeaseNodes nodes;
    private final HostRuns runs;
    private final LeaseRequest request;
    private final Map<String, Integer> versions;
    private String released;

    ZooKeeperLease(LeaseNodes nodes, HostRuns runs, LeaseRequest request, Map<String, Integer> versions) {
        this.nodes = nodes;
        this.runs = runs;
        this.request = request;
        this.versions = new LinkedHashMap<>(versions);
    }

    @Override
    public synchronized String state() {
        return released != null ? released : ZooKeeperLockManager.format(versions);
    }

    @Override
    public synchronized String release() throws LockException {
        if (released == null) {
            runs.alone(request); // another daemon of this host's UUID would give back the other's leases too
            released = ZooKeeperLockManager.format(nodes.giveBack(request, versions));
        }
        return released;
    }
}
