package io.ferry.driver.sim;

import io.ferry.api.host.ProcessRunner;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.Hypervisor;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.VirtualMachine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;

/**
 * Ferry's embedded hypervisor ({@code <domain type='sim'>}): VMs whose memory is a real memory-mapped file and
 * whose guest is a thread writing into it. The files survive the daemon, so a restarted daemon re-attaches.
 */
@Component(service = Hypervisor.class, property = Hypervisor.TYPE + "=" + SimHypervisor.TYPE,
        configurationPid = "io.ferry.plugin.ovs", configurationPolicy = ConfigurationPolicy.OPTIONAL)
public class SimHypervisor implements Hypervisor {
    private static final System.Logger LOG = System.getLogger(SimHypervisor.class.getName());
    static final String TYPE = "sim";
    static final long MAX_MEMORY_KIB = 64L * 1024 * 1024;

    private final int chunkBytes;
    /** The heap the VMs' and transfers' per-page tables may take. */
    private final PageTableBudget tables;
    /** Run directories with a VM in this daemon, or one being set up. */
    private final Set<Path> claimed = ConcurrentHashMap.newKeySet();
    private final Map<Path, SimVirtualMachine> vms = new ConcurrentHashMap<>();
    /** This host's Open vSwitch (ferryd --ovsdb), where openvswitch NICs are plugged. */
    private volatile OvsPorts ovs = OvsPorts.NONE;
    /** The core's, for ovs-vsctl. */
    @Reference
    private ProcessRunner processes;

    public SimHypervisor() {
        this(GuestMemory.DEFAULT_CHUNK_BYTES);
    }

    /** With memory mapped in chunks of {@code chunkBytes}, a power of two: tests use small ones. */
    SimHypervisor(int chunkBytes) {
        this(chunkBytes, PageTableBudget.DEFAULT_BYTES);
    }

    /** Tests: with {@code tableBytes} for the per-page tables ({@link PageTableBudget}). */
    SimHypervisor(int chunkBytes, long tableBytes) {
        this.chunkBytes = chunkBytes;
        this.tables = new PageTableBudget(tableBytes);
    }

    /** The OVSDB is the network section's (same PID, etc/io.ferry.plugin.ovs.cfg, where ferryd puts --ovsdb). */
    @Activate
    @Modified
    void configure(Map<String, Object> properties) {
        ovs = OvsPorts.of(processes, (String) properties.get("ovsdb"));
    }

    /** Tests: plug NICs with this runner. */
    void useOvs(OvsPorts ports) {
        ovs = ports;
    }

    /** Graphics devices per domain: each is a listening socket and a thread of this daemon while the VM exists. */
    static final int MAX_GRAPHICS = 8;

    @Override
    public void validate(DomainSpec spec) throws HypervisorException {
        workload(spec);
        requireGraphicsRule(spec);
    }

    /**
     * Each graphics server listens where the QEMU driver's may ({@link GraphicsServer#check}). Checked before a VM is
     * made (define, boot, arrival), not of one re-attached, which an upgrade must leave managed.
     */
    private static void requireGraphicsRule(DomainSpec spec) throws HypervisorException {
        for (DomainSpec.Graphics graphics : spec.graphics()) {
            if (GraphicsServer.serves(graphics)) {
                GraphicsServer.check(graphics, spec.name());
            }
        }
    }

    /** Checks the definition; returns its workload. */
    private static DomainXml.Workload workload(DomainSpec spec) throws HypervisorException {
        if (!TYPE.equals(spec.type())) {
            throw new HypervisorException("domain type '" + spec.type() + "' is not handled by the sim driver");
        }
        long kib = spec.memoryKiB();
        if (kib <= 0) {
            throw new HypervisorException("memory must be positive, not " + kib + " KiB");
        }
        if (kib % (GuestMemory.PAGE_SIZE / 1024) != 0) {
            throw new HypervisorException("memory of " + kib + " KiB is not a multiple of the 4 KiB page size");
        }
        if (kib > MAX_MEMORY_KIB) {
            throw new HypervisorException("memory of " + kib + " KiB exceeds the sim driver's limit of "
                    + MAX_MEMORY_KIB + " KiB (64 GiB)");
        }
        if (spec.vcpus() < 1) {
            throw new HypervisorException("at least one vCPU is needed, not " + spec.vcpus());
        }
        if (spec.graphics().size() > MAX_GRAPHICS) {
            throw new HypervisorException("domain '" + spec.name() + "' has " + spec.graphics().size() + " graphics devices,"
                    + " over the sim driver's limit of " + MAX_GRAPHICS + " (each costs this host a listener and a thread)");
        }
        return DomainXml.workload(spec.xml());
    }

    @Override
    public VirtualMachine boot(DomainSpec spec, Path runDir) throws HypervisorException {
        return create(spec, runDir, true);
    }

    @Override
    public VirtualMachine createIncoming(DomainSpec spec, Path runDir) throws HypervisorException {
        return create(spec, runDir, false);
    }

    /**
     * A new VM in {@code runDir}. A set-up that fails leaves nothing: no memory file (its blocks freed), no state,
     * and the run directory removed if nothing else is in it. A VM whose memory does not fit the free space is
     * refused before anything is written ("No space left on device"); one that a concurrent writer crowds out
     * fails on the write that finds the disk full. A VM whose page tables the heap has no room for
     * ({@link PageTableBudget}) is refused before anything is made.
     */
    private VirtualMachine create(DomainSpec spec, Path runDir, boolean boot) throws HypervisorException {
        DomainXml.Workload workload = workload(spec);
        requireGraphicsRule(spec);
        PageTableBudget.Share share = tables.take(spec, boot ? "boot" : "create the incoming VM of",
                PageTableBudget.mapAndCrcBytes(spec.memoryKiB() * 1024 / GuestMemory.PAGE_SIZE));
        RunDir dir;
        try {
            dir = claim(spec, runDir);
        } catch (HypervisorException e) {
            share.close();
            throw e;
        }
        GuestMemory memory = null;
        boolean plugged = false;
        try {
            Files.createDirectories(dir.path(), OwnerOnly.directory(dir.path()));
            dir.deleteState(); // whatever a previous VM left here is void from now on
            Files.deleteIfExists(dir.memory()); // and its memory's blocks count as free
            requireSpace(dir, spec.memoryKiB() * 1024);
            memory = GuestMemory.create(dir.memory(), spec.memoryKiB() * 1024, chunkBytes);
            boolean random = boot && workload.randomFill();
            if (random) {
                memory.fill(seed(spec.uuid()));
            }
            dir.writeState(boot);
            plugged = true; // before: a plug that fails half-way leaves ports to remove (del-port --if-exists)
            ovs.plug(spec);
            return register(dir, SimVirtualMachine.start(spec, dir, memory, share, workload.dirtyPagesPerSecond(), boot,
                    !random, () -> gone(dir, spec)));
        } catch (IOException | HypervisorException | RuntimeException | Error e) {
            share.close();
            claimed.remove(dir.path());
            if (plugged) {
                unplug(spec);
            }
            try {
                if (memory != null) {
                    memory.close(true);
                }
                dir.deleteState();
                dir.deleteIfEmpty();
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            if (e instanceof HypervisorException h) {
                throw h;
            }
            if (e instanceof Error error) {
                throw error;
            }
            String why = e instanceof IOException ? e.getMessage() : e.toString();
            LOG.log(System.Logger.Level.ERROR, "cannot set up domain ''{0}'' in {1}: {2}", spec.name(), dir.path(), why);
            throw new HypervisorException("cannot set up domain '" + spec.name() + "' in " + dir.path() + ": " + why, e);
        }
    }

    /** Refuses memory that the run directory's file system has no room for. */
    private static void requireSpace(RunDir dir, long bytes) throws IOException {
        long free = dir.path().toFile().getUsableSpace(); // statvfs; a FileStore would read the mount table first
        if (bytes > free) {
            throw new IOException("No space left on device: the memory needs " + mib(bytes) + ", " + mib(free) + " are free");
        }
    }

    private static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }

    @Override
    public Optional<VirtualMachine> reattach(DomainSpec spec, Path runDir) throws HypervisorException {
        long rate = workload(spec).dirtyPagesPerSecond();
        SimVirtualMachine live = vms.get(new RunDir(runDir).path());
        if (live != null && live.spec().uuid().equals(spec.uuid())) {
            return Optional.of(live);
        }
        RunDir dir = claim(spec, runDir);
        try {
            if (!Files.exists(dir.memory()) || dir.fromEarlierBoot()) {
                // no VM was made here, or it died when the host restarted
                claimed.remove(dir.path());
                return Optional.empty();
            }
            // memory without a recorded state: a crash while it was being set up; do not run what may be half-made
            boolean running = dir.readState().orElse(false);
            GuestMemory memory = GuestMemory.open(dir.memory(), spec.memoryKiB() * 1024, chunkBytes);
            // counted, never refused: the VM is there already, and it was within the budget when it came
            PageTableBudget.Share share = tables.takeAnyway(spec, PageTableBudget.mapAndCrcBytes(memory.pageCount()));
            try {
                return Optional.of(register(dir, SimVirtualMachine.start(spec, dir, memory, share, rate, running, false,
                        () -> gone(dir, spec))));
            } catch (HypervisorException | RuntimeException e) {
                share.close();
                memory.close(false);
                throw e;
            }
        } catch (IOException | HypervisorException | RuntimeException e) {
            claimed.remove(dir.path());
            if (e instanceof HypervisorException h) {
                throw h;
            }
            throw new HypervisorException("cannot reattach domain '" + spec.name() + "' in " + dir.path() + ": " + e, e);
        }
    }

    /** Stops every VM's threads and listeners; their files stay for the next daemon. */
    @Deactivate
    void deactivate() {
        vms.values().forEach(SimVirtualMachine::detach);
        vms.clear();
        claimed.clear();
    }

    private RunDir claim(DomainSpec spec, Path runDir) throws HypervisorException {
        RunDir dir = new RunDir(runDir);
        if (!claimed.add(dir.path())) {
            throw new HypervisorException("run directory " + dir.path() + " of domain '" + spec.name()
                    + "' is in use by another domain of this daemon");
        }
        return dir;
    }

    private SimVirtualMachine register(RunDir dir, SimVirtualMachine vm) {
        vms.put(dir.path(), vm);
        return vm;
    }

    private void gone(RunDir dir, DomainSpec spec) {
        unplug(spec);
        vms.remove(dir.path());
        claimed.remove(dir.path());
    }

    private void unplug(DomainSpec spec) {
        for (String problem : ovs.unplug(spec)) {
            LOG.log(System.Logger.Level.WARNING, "cannot unplug a NIC of domain ''{0}'': {1}", spec.name(), problem);
        }
    }

    /** The boot content of a domain's memory with {@code fill='random'} depends on its UUID only. */
    static long seed(UUID uuid) {
        return mix(uuid.getMostSignificantBits() ^ mix(uuid.getLeastSignificantBits()));
    }

    private static long mix(long z) { // SplitMix64's finalizer
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
