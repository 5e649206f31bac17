package io.ferry.plugin.lockstate;

import io.ferry.api.lock.Lease;
import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import java.util.LinkedHashMap;
import java.util.Map;

/** A domain's leases held through the {@link FileLockManager}. */
final class FileLease implements Lease {
    private final FileLockManager manager;
    private final LeaseRequest request;
    private final Map<String, Long> generations;
    private String released;

    FileLease(FileLockManager manager, LeaseRequest request, Map<String, Long> generations) {
        this.manager = manager;
        this.request = request;
        this.generations = new LinkedHashMap<>(generations);
    }

    @Override
    public synchronized String state() {
        return released != null ? released : FileLockManager.format(generations);
    }

    @Override
    public synchronized String release() throws LockException {
        if (released == null) {
            released = FileLockManager.format(manager.giveBack(request));
        }
        return released;
    }
}
