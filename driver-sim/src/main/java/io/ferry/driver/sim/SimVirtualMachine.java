package io.ferry.driver.sim;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.GraphicsConsole;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.MigrationControl;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A simulated VM: file-backed memory, a workload thread while it runs, graphics listeners while it exists. Run
 * state changes are serialized on {@link #lock} and recorded in the run directory as they happen.
 */
final class SimVirtualMachine implements VirtualMachine, GraphicsConsole {
    private static final System.Logger LOG = System.getLogger(SimVirtualMachine.class.getName());

    private final DomainSpec spec;
    private final RunDir runDir;
    private final GuestMemory memory;
    /** The page tables' share of the driver's budget: the VM's own, and more for each transfer. */
    private final PageTableBudget.Share tables;
    private final long dirtyPagesPerSecond;
    private final List<GraphicsServer> graphics;
    private final Runnable onGone;
    private final AtomicReference<DirtyBitmap> tracking = new AtomicReference<>();
    private final AtomicLong pagesDirtied = new AtomicLong();
    private final Object lock = new Object();
    private volatile boolean running;
    private volatile boolean gone;
    private Workload workload; // guarded by lock
    private long workloadStarts; // guarded by lock
    /**
     * Each page's CRC as boot, arriving streams or a read left the memory, while the guest has not written since;
     * null: not known without a read.
     */
    private volatile PageCrcs arrivals;

    private SimVirtualMachine(DomainSpec spec, RunDir runDir, GuestMemory memory, PageTableBudget.Share tables,
            long dirtyPagesPerSecond, List<GraphicsServer> graphics, Runnable onGone, boolean zeroMemory) {
        this.arrivals = zeroMemory ? new PageCrcs(memory.pageCount()) : null;
        this.spec = spec;
        this.runDir = runDir;
        this.memory = memory;
        this.tables = tables;
        this.dirtyPagesPerSecond = dirtyPagesPerSecond;
        this.graphics = graphics;
        this.onGone = onGone;
    }

    /**
     * Brings up a VM on memory already in place, in the run state already recorded, its page tables taken from the
     * budget as {@code tables}, which it gives back when it is released. On failure the caller still owns (and cleans
     * up) the memory and the tables' share.
     *
     * @param zeroMemory the memory was just made and holds nothing but zeros
     */
    static SimVirtualMachine start(DomainSpec spec, RunDir runDir, GuestMemory memory, PageTableBudget.Share tables,
            long dirtyPagesPerSecond, boolean running, boolean zeroMemory, Runnable onGone) throws HypervisorException {
        List<GraphicsServer> servers = new ArrayList<>();
        try {
            for (DomainSpec.Graphics g : spec.graphics()) {
                if (GraphicsServer.serves(g)) {
                    servers.add(GraphicsServer.open(g, spec.name()));
                }
            }
        } catch (HypervisorException e) {
            servers.forEach(GraphicsServer::close);
            throw e;
        }
        SimVirtualMachine vm = new SimVirtualMachine(spec, runDir, memory, tables, dirtyPagesPerSecond,
                List.copyOf(servers), onGone, zeroMemory);
        synchronized (vm.lock) {
            vm.running = running;
            if (running) {
                vm.startWorkload();
            }
        }
        return vm;
    }

    @Override
    public DomainSpec spec() {
        return spec;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public void pause() {
        pauseIfRunning();
    }

    /** Pauses; true if this call did (the VM was running). Returns once the guest has stopped writing. */
    boolean pauseIfRunning() {
        synchronized (lock) {
            checkPresent();
            if (!running) {
                return false;
            }
            stopWorkload();
            running = false;
            record(false);
            return true;
        }
    }

    @Override
    public void resume() {
        synchronized (lock) {
            checkPresent();
            if (running) {
                return;
            }
            record(true);
            running = true;
            startWorkload();
        }
    }

    @Override
    public void destroy() {
        synchronized (lock) {
            if (gone) {
                return;
            }
            release(true);
        }
        onGone.run();
    }

    /** The daemon goes away, the VM stays: stops threads and listeners, keeps the files for a reattach. */
    void detach() {
        synchronized (lock) {
            if (!gone) {
                release(false);
            }
        }
    }

    private void release(boolean delete) {
        gone = true;
        stopWorkload();
        graphics.forEach(GraphicsServer::close);
        try {
            memory.close(delete);
            if (delete) {
                runDir.deleteState();
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot remove the files of domain ''{0}'' in {1}: {2}",
                    spec.name(), runDir.path(), e.toString());
        } finally {
            arrivals = null; // goes with its share of the budget (a transfer under way keeps its own till it ends)
            tables.close();
        }
    }

    /**
     * The fold of the pages' CRCs while the guest does not write (an idle guest's, a paused one's): a read of the
     * whole memory once, not at each call (a domain's description asks for it). A guest that writes is read each time.
     */
    @Override
    public String memoryDigest() {
        String digest;
        try {
            digest = arrivals().digest();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the memory of domain '" + spec.name() + "': " + e.getMessage(), e);
        }
        if (gone) {
            throw new IllegalStateException("guest memory " + memory.file() + " is released");
        }
        return digest;
    }

    @Override
    public MigrationStats sendMemory(OutputStream out, MigrationControl control)
            throws IOException, HypervisorException {
        checkUsable();
        try (PageTableBudget.Share transfer = tables.more("send the memory of",
                PageTableBudget.mapAndCrcBytes(memory.pageCount()))) {
            return new MemorySender(this, control, Throttle.system()).send(out);
        } catch (IllegalStateException e) {
            throw destroyedMeanwhile(e);
        }
    }

    @Override
    public MigrationStats receiveMemory(InputStream in, MigrationControl control)
            throws IOException, HypervisorException {
        checkUsable();
        if (running) {
            throw new HypervisorException("domain '" + spec.name() + "' is running: it cannot receive memory");
        }
        try (PageTableBudget.Share transfer = tables.more("receive the memory of",
                PageTableBudget.mapBytes(memory.pageCount()))) {
            return new MemoryReceiver(this, control).receive(in);
        } catch (IllegalStateException e) {
            throw destroyedMeanwhile(e);
        }
    }

    @Override
    public List<DomainSpec.Graphics> listeners() {
        return gone ? List.of() : graphics.stream().map(GraphicsServer::listener).toList();
    }

    @Override
    public void relocateClients(DomainSpec.Graphics destination, int tlsPort, String tlsSubject)
            throws HypervisorException {
        checkUsable();
        List<GraphicsServer> servers = graphics.stream().filter(s -> s.type().equals(destination.type())).toList();
        if (servers.isEmpty()) {
            throw new HypervisorException("domain '" + spec.name() + "' has no " + destination.type() + " graphics");
        }
        // a simulated client needs no TLS: tlsPort and tlsSubject are not passed on
        servers.forEach(s -> s.relocate(destination.listen(), destination.port()));
    }

    /** Simulated clients reconnect at once. */
    @Override
    public boolean awaitClientsMigrated(long timeoutMillis) {
        return true;
    }

    GuestMemory memory() {
        return memory;
    }

    long pagesDirtied() {
        return pagesDirtied.get();
    }

    /** Starts recording guest writes into {@code bitmap}; one migration at a time. */
    void beginTracking(DirtyBitmap bitmap) throws HypervisorException {
        if (!tracking.compareAndSet(null, bitmap)) {
            throw new HypervisorException("a migration of domain '" + spec.name() + "' is already in progress");
        }
    }

    void endTracking(DirtyBitmap bitmap) {
        tracking.compareAndSet(bitmap, null);
    }

    /**
     * Each page's CRC as far as streams brought it: known for fresh memory and kept while the guest does not write;
     * otherwise read from the memory, and kept only if no workload wrote while it was read (nor an incoming stream
     * began meanwhile, which keeps its own).
     */
    PageCrcs arrivals() throws IOException {
        PageCrcs known = arrivals;
        if (known != null) {
            return known;
        }
        boolean quiet;
        long starts;
        synchronized (lock) {
            quiet = workload == null;
            starts = workloadStarts;
        }
        known = PageCrcs.of(memory);
        synchronized (lock) {
            if (quiet && workload == null && workloadStarts == starts && arrivals == null && !gone) {
                arrivals = known;
            }
            return arrivals != null ? arrivals : known;
        }
    }

    void forgetArrivals() {
        arrivals = null;
    }

    private void startWorkload() {
        if (dirtyPagesPerSecond > 0) {
            arrivals = null; // the guest writes: what arrived is no longer all there is
            workloadStarts++;
            workload = new Workload(memory, dirtyPagesPerSecond, tracking::get, pagesDirtied,
                    "sim-" + spec.name() + "-workload");
            workload.start();
        }
    }

    private void stopWorkload() {
        if (workload != null) {
            workload.stop();
            workload = null;
        }
    }

    private void record(boolean nowRunning) {
        try {
            runDir.writeState(nowRunning);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the run state of domain '" + spec.name() + "'", e);
        }
    }

    private RuntimeException destroyedMeanwhile(IllegalStateException e) throws HypervisorException {
        if (gone) {
            throw new HypervisorException("domain '" + spec.name() + "' was destroyed during the migration", e);
        }
        return e;
    }

    private void checkPresent() {
        if (gone) {
            throw new IllegalStateException("domain '" + spec.name() + "' is destroyed");
        }
    }

    private void checkUsable() throws HypervisorException {
        if (gone) {
            throw new HypervisorException("domain '" + spec.name() + "' is destroyed");
        }
    }
}
