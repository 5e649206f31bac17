package io.ferry.driver.sim;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How much of the daemon's heap the driver's per-page tables take, all VMs and transfers together. A guest's memory
 * is a file outside the heap, but its tables are on it: the written map ({@link GuestMemory}, a bit a page) and the
 * CRC of each page ({@link PageCrcs}, 4 bytes: an arrival's, and any VM's whose digest was read while it held still),
 * and for a transfer the sender's dirty bitmap and CRCs or the receiver's map of the pages seen: about a thousandth
 * of the guest, 66 MiB for one of 64 GiB. A peer may Prepare dozens of arrivals at once: seven of 64 GiB filled a
 * heap of 512 MiB, and the OutOfMemoryError struck whatever thread allocated next, past its clean-up. A VM or a
 * transfer that would go over is refused before anything is made, naming what it needs and what is left.
 */
final class PageTableBudget {
    /**
     * A third of the heap: the rest is the daemon's (its snapshot streams alone may hold 64 MiB). With ferryd's
     * 512 MiB, 170 MiB: the largest guest the driver takes (64 GiB) and a migration of it, or some 160 guests of 1 GiB.
     */
    static final long DEFAULT_BYTES = Runtime.getRuntime().maxMemory() / 3;

    private final long limit;
    private final AtomicLong held = new AtomicLong();

    PageTableBudget(long limit) {
        this.limit = limit;
    }

    /**
     * A bit and a CRC a page: a VM's own tables, for its life (its written map and its pages' CRCs), and a sender's,
     * while it sends (its dirty bitmap and the CRCs of what it sent).
     */
    static long mapAndCrcBytes(long pages) {
        return mapBytes(pages) + pages * Integer.BYTES;
    }

    /** A bit a page: a receiver's map of the pages it has seen, while it receives. */
    static long mapBytes(long pages) {
        return (pages + DirtyBitmap.WORD_PAGES - 1) / DirtyBitmap.WORD_PAGES * Long.BYTES;
    }

    /**
     * Takes {@code bytes} of tables for {@code spec}'s VM, or refuses: "cannot {@code doing} domain 'NAME': ...".
     */
    Share take(DomainSpec spec, String doing, long bytes) throws HypervisorException {
        long now = held.addAndGet(bytes);
        if (now > limit) {
            held.addAndGet(-bytes);
            throw new HypervisorException("cannot " + doing + " domain '" + spec.name() + "': its " + spec.memoryKiB()
                    + " KiB of memory need " + (bytes + 1023) / 1024 + " KiB of page tables on the daemon's heap, and "
                    + Math.max(0, limit - (now - bytes)) / 1024 + " KiB of the sim driver's " + limit / 1024
                    + " KiB for them are left");
        }
        return new Share(spec, bytes);
    }

    /** Takes {@code bytes} for a VM that is already there (a re-attached one), over the limit if need be. */
    Share takeAnyway(DomainSpec spec, long bytes) {
        held.addAndGet(bytes);
        return new Share(spec, bytes);
    }

    /** What one VM or transfer holds; given back once, on the first {@link #close}. */
    final class Share implements AutoCloseable {
        private final DomainSpec spec;
        private final AtomicLong bytes;

        private Share(DomainSpec spec, long bytes) {
            this.spec = spec;
            this.bytes = new AtomicLong(bytes);
        }

        /** Takes more for the same VM's transfer, or refuses as {@link PageTableBudget#take} does. */
        Share more(String doing, long more) throws HypervisorException {
            return take(spec, doing, more);
        }

        @Override
        public void close() {
            held.addAndGet(-bytes.getAndSet(0));
        }
    }
}
