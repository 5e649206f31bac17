package io.ferry.core.domain;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One lock per domain name, kept only while a thread holds it or waits for it. A lock made for every name a host ever
 * saw and kept for good grew by one entry with each guest that ever arrived, failed or not, for as long as the daemon
 * ran: a hostile peer's Prepares, each naming another guest, grew it at will.
 */
final class DomainLocks {
    /** A held lock: {@link #close} lets it go. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    private static final class Entry {
        final ReentrantLock lock = new ReentrantLock();
        int users; // guarded by the map: holders and waiters
    }

    private final Map<String, Entry> locks = new HashMap<>(); // guarded by itself

    /** Waits for the lock of {@code name} and holds it (a holder may take it again); close the result to let it go. */
    Held lock(String name) {
        Entry entry;
        synchronized (locks) {
            entry = locks.computeIfAbsent(name, n -> new Entry());
            entry.users++;
        }
        entry.lock.lock();
        return () -> {
            entry.lock.unlock();
            synchronized (locks) {
                if (--entry.users == 0) {
                    locks.remove(name);
                }
            }
        };
    }

    /** How many names have a lock now: those held or waited for. */
    int size() {
        synchronized (locks) {
            return locks.size();
        }
    }
}
