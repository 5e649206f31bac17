package io.ferry.core.migration;

import io.ferry.api.lock.Lease;
import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import io.ferry.api.lock.LockManager;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * A lock manager every test host shares, as hosts share a lease directory: a lease per disk with a generation
 * that every acquire and release advances, so a state proves nobody held the lease in between.
 */
final class SharedLeases implements LockManager {
    private record Holder(String host, String hostUuid, long generation, boolean held) {
    }

    private final Map<String, Holder> leases = new HashMap<>();
    /** The daemon giving back a lease dies before the release takes effect. */
    volatile boolean crashBeforeRelease;
    /** The daemon giving back a lease dies right after the release took effect, before it learns the state. */
    volatile boolean crashAfterRelease;
    /**
     * The host whose releases fail and change nothing, as when it cannot reach ZooKeeper or write the lease directory;
     * null: none.
     */
    volatile String releasesFailOn;
    /** The host that cannot reach the store at all: its acquires fail too, and change nothing; null: none. */
    volatile String unreachableFrom;
    /**
     * The host whose releases go through but fail all the same, as when ZooKeeper commits a give-back and goes out of
     * reach before its answer (and the client's check) comes back; null: none.
     */
    volatile String releaseAnswersLostOn;
    /**
     * The host whose next acquire goes through but fails all the same (ZooKeeper committed the take and went out of
     * reach before its answer came back); null: none. Once: the store answers again after it.
     */
    volatile String acquireAnswerLostOnceOn;

    /** Runs once, before the next acquire takes the store's lock: another call may then come first. */
    volatile Consumer<LeaseRequest> beforeNextAcquire;

    @Override
    public Lease acquire(LeaseRequest request, String state) throws LockException {
        Consumer<LeaseRequest> hook = beforeNextAcquire;
        if (hook != null) {
            beforeNextAcquire = null;
            hook.accept(request);
        }
        return take(request, state);
    }

    private synchronized Lease take(LeaseRequest request, String state) throws LockException {
        if (request.owner().equals(unreachableFrom)) {
            throw new LockException("cannot take the leases of domain " + request.domainName() + ": the lease store is"
                    + " unreachable", new java.net.ConnectException("Connection refused"));
        }
        for (String disk : request.resources()) {
            Holder holder = leases.getOrDefault(disk, new Holder("", "", 0, false));
            if (holder.held() && !holder.hostUuid().equals(request.ownerUuid().toString())) {
                throw new LockException("resource " + disk + " is held by " + holder.host());
            }
            if (state != null && !holder.held() && holder.generation() != Long.parseLong(state)) {
                throw new LockException("lease of " + disk + " changed since it was released");
            }
        }
        long generation = 0;
        for (String disk : request.resources()) {
            Holder holder = leases.getOrDefault(disk, new Holder("", "", 0, false));
            generation = holder.held() ? holder.generation() : holder.generation() + 1;
            leases.put(disk, new Holder(request.owner(), request.ownerUuid().toString(), generation, true));
        }
        long taken = generation;
        if (request.owner().equals(acquireAnswerLostOnceOn)) {
            acquireAnswerLostOnceOn = null;
            throw new LockException("cannot take the leases of domain " + request.domainName() + ": connection lost before"
                    + " the answer", new java.net.SocketException("Connection reset"));
        }
        return new Lease() {
            @Override
            public String state() {
                return Long.toString(taken);
            }

            @Override
            public String release() throws LockException {
                if (request.owner().equals(releasesFailOn) || request.owner().equals(unreachableFrom)) {
                    throw new LockException("cannot release the leases of domain " + request.domainName() + ": the lease"
                            + " store is unreachable", new java.net.ConnectException("Connection refused"));
                }
                if (request.owner().equals(releaseAnswersLostOn)) {
                    SharedLeases.this.release(request);
                    throw new LockException("cannot release the leases of domain " + request.domainName() + ": connection"
                            + " lost before the answer", new java.net.SocketException("Connection reset"));
                }
                if (crashBeforeRelease) {
                    crashBeforeRelease = false;
                    throw new Crash();
                }
                String released = Long.toString(SharedLeases.this.release(request));
                if (crashAfterRelease) {
                    crashAfterRelease = false;
                    throw new Crash();
                }
                return released;
            }
        };
    }

    /**
     * As the ZooKeeper lock manager: given back if still this host's; free and advanced exactly once since held, this
     * host's own release went through unanswered, and its generation is handed on; otherwise refused.
     */
    @Override
    public Lease held(LeaseRequest request, String heldState) {
        return new Lease() {
            @Override
            public String state() {
                return heldState;
            }

            @Override
            public String release() throws LockException {
                if (request.owner().equals(releasesFailOn) || request.owner().equals(unreachableFrom)) {
                    throw new LockException("cannot release the leases of domain " + request.domainName() + ": the lease"
                            + " store is unreachable", new java.net.ConnectException("Connection refused"));
                }
                synchronized (SharedLeases.this) {
                    for (String disk : request.resources()) {
                        Holder holder = leases.getOrDefault(disk, new Holder("", "", 0, false));
                        boolean mine = holder.held() && holder.hostUuid().equals(request.ownerUuid().toString());
                        if (!mine && (holder.held() || holder.generation() != Long.parseLong(heldState) + 1)) {
                            throw new LockException("lease of " + disk + " is no longer this host's");
                        }
                    }
                    long released = SharedLeases.this.release(request);
                    if (request.owner().equals(releaseAnswersLostOn)) {
                        throw new LockException("cannot release the leases of domain " + request.domainName() + ":"
                                + " connection lost before the answer", new java.net.SocketException("Connection reset"));
                    }
                    return Long.toString(released);
                }
            }
        };
    }

    private synchronized long release(LeaseRequest request) {
        long generation = 0;
        for (String disk : request.resources()) {
            Holder holder = leases.get(disk);
            if (holder != null && holder.held() && holder.hostUuid().equals(request.ownerUuid().toString())) {
                generation = holder.generation() + 1;
                leases.put(disk, new Holder("", "", generation, false));
            } else if (holder != null) {
                generation = holder.generation();
            }
        }
        return generation;
    }

    /** A lock manager instance over this store, as its bundle's component makes one, until an update closes it. */
    Instance instance() {
        return new Instance();
    }

    /**
     * One instance of the lock manager, as the ZooKeeper lock manager's component is: closed (its bundle updated or
     * reconfigured), it closes its client to the store, and the leases it handed out can no longer be given back
     * through it, as the store cannot be reached from it. The store keeps them as they are.
     */
    final class Instance implements LockManager {
        private volatile boolean closed;

        void close() {
            closed = true;
        }

        @Override
        public Lease acquire(LeaseRequest request, String state) throws LockException {
            requireOpen(request);
            return through(request, SharedLeases.this.acquire(request, state));
        }

        @Override
        public Lease held(LeaseRequest request, String heldState) throws LockException {
            requireOpen(request);
            return through(request, SharedLeases.this.held(request, heldState));
        }

        private Lease through(LeaseRequest request, Lease lease) {
            return new Lease() {
                @Override
                public String state() {
                    return lease.state();
                }

                @Override
                public String release() throws LockException {
                    requireOpen(request);
                    return lease.release();
                }
            };
        }

        private void requireOpen(LeaseRequest request) throws LockException {
            if (closed) {
                throw new LockException("cannot reach the lease store for domain " + request.domainName() + ": this"
                        + " lock manager's client is closed", new IllegalStateException("client closed"));
            }
        }

        @Override
        public boolean usesState() {
            return true;
        }
    }

    /** Another host takes the disk's lease, as it does to run a VM on the disk; it gives it back with release(). */
    Lease takenBy(String host, String disk) throws LockException {
        return acquire(new LeaseRequest("other-" + host, UUID.randomUUID(), List.of(disk), host, UUID.randomUUID()), null);
    }

    /** The store forgets who holds the disk's lease, as when an operator gives back the leases of a host taken for gone. */
    synchronized void forgetHolder(String disk) {
        Holder holder = leases.get(disk);
        if (holder != null) {
            leases.put(disk, new Holder("", "", holder.generation(), false));
        }
    }

    /** How often the disk's lease was taken from free or given back: 0 if never. */
    synchronized long generation(String disk) {
        Holder holder = leases.get(disk);
        return holder == null ? 0 : holder.generation();
    }

    /** The host holding the disk's lease, or null. */
    synchronized String holder(String disk) {
        Holder holder = leases.get(disk);
        return holder == null || !holder.held() ? null : holder.host();
    }

    @Override
    public boolean usesState() {
        return true;
    }
}
