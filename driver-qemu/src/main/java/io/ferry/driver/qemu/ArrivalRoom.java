package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntSupplier;

/**
 * The room this host has for arriving guests. An arriving QEMU takes its guest's memory as the pages come: a peer that
 * Prepared dozens of arrivals, each with memory just under what the kernel lets a process map, and streamed pages that
 * are not zero, had them all started, ran the host out of memory, and the OOM killer took other guests' QEMUs. So an
 * arrival's memory must fit what the kernel can give without swapping ({@code MemAvailable} of {@code /proc/meminfo})
 * less what the arrivals under way were promised: an arrival's whole memory counts until it has loaded (pages it took
 * count twice meanwhile) or its VM is gone. Its vCPUs, a thread each, are at most {@link #VCPUS_PER_CPU} for each CPU
 * the daemon may use. A host that overcommits its memory on purpose (KSM, guests mostly idle, one being emptied for
 * maintenance) lets arrivals take a multiple of {@code MemAvailable}: the driver's {@code arrivalMemoryOvercommit}
 * ({@link QemuSettings#overcommit}), passed with each arrival, as the qemu and kvm drivers share this room but not
 * their settings' instances. A boot is not checked, as libvirt checks none: its operator chose the guest.
 */
final class ArrivalRoom {
    static final Path MEMINFO = Path.of("/proc/meminfo");
    /** This host's: the qemu and kvm drivers' arrivals share its memory. */
    static final ArrivalRoom HOST = new ArrivalRoom(MEMINFO, Runtime.getRuntime()::availableProcessors);
    /** Overcommitted vCPUs only share the CPUs, but each is a thread of this host: a few a CPU are plenty. */
    static final int VCPUS_PER_CPU = 4;
    private static final long GIB = 1L << 30;

    private final Path meminfo;
    private final IntSupplier cpus;
    private long promised; // guarded by this

    /**
     * {@code meminfo} read for the memory available, {@code cpus} for the CPUs: the host's are this daemon's (its
     * affinity and cgroup), which its QEMUs inherit.
     */
    ArrivalRoom(Path meminfo, IntSupplier cpus) {
        this.meminfo = meminfo;
        this.cpus = cpus;
    }

    /**
     * Promises {@code spec}'s arrival its memory, kept until {@link Promise#close}, or refuses it, naming what it
     * needs and what this host has: the arrivals under way take at most {@code overcommit} (1 to
     * {@link QemuSettings#MAX_OVERCOMMIT}) times the memory available.
     */
    synchronized Promise promise(DomainSpec spec, double overcommit) throws HypervisorException {
        String refused = "cannot receive domain '" + spec.name() + "': ";
        int maxVcpus = VCPUS_PER_CPU * cpus.getAsInt();
        if (spec.vcpus() > maxVcpus) {
            throw new HypervisorException(refused + "it has " + spec.vcpus() + " vCPUs, and a guest arriving here has"
                    + " at most " + maxVcpus + " (" + VCPUS_PER_CPU + " for each of the " + cpus.getAsInt()
                    + " CPUs this host gives ferryd)");
        }
        long needs = spec.memoryKiB() > Long.MAX_VALUE / 1024 ? Long.MAX_VALUE : spec.memoryKiB() * 1024;
        long available = available(refused);
        long room = (long) (available * overcommit); // at most 4 x 10^18: MemAvailable has at most 15 digits of kB
        if (needs > room - promised) {
            throw new HypervisorException(refused + "it needs " + size(needs) + " of memory and this host has "
                    + size(available) + " available (MemAvailable)" + beyond(overcommit, promised));
        }
        promised += needs;
        return new Promise(this, needs);
    }

    /** A refusal's end: the overcommit and the promises, and the way out to an operator whose arrivals take none. */
    private static String beyond(double overcommit, long promised) {
        String promises = promised == 0 ? "" : ", " + size(promised) + " of %s promised to arrivals under way";
        String setting = QemuSettings.OVERCOMMIT + " in " + QemuSettings.CFG;
        if (overcommit == 1) {
            return promises.formatted("it") + "; set " + setting + " to let arrivals overcommit";
        }
        return " and lets arrivals take " + BigDecimal.valueOf(overcommit).stripTrailingZeros().toPlainString()
                + " times it (" + setting + ")" + promises.formatted("that");
    }

    /** {@code MemAvailable}, in bytes; none to be read refuses the arrival (an unknown room is no room). */
    private long available(String refused) throws HypervisorException {
        try {
            for (String line : Files.readAllLines(meminfo, StandardCharsets.US_ASCII)) {
                if (line.matches("MemAvailable: +[0-9]{1,15} kB")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            throw new HypervisorException(refused + "this host's available memory is unknown: no MemAvailable in "
                    + meminfo);
        } catch (IOException e) {
            throw new HypervisorException(refused + "this host's available memory is unknown: cannot read " + meminfo
                    + ": " + e, e);
        }
    }

    private synchronized void giveBack(long bytes) {
        promised -= bytes;
    }

    /** 64 GiB, 3.1 GiB, 48 MiB. */
    static String size(long bytes) {
        return bytes >= GIB ? tenths(bytes / (GIB / 10.0)) + " GiB" : tenths(bytes / ((1 << 20) / 10.0)) + " MiB";
    }

    private static String tenths(double tenths) {
        long rounded = Math.round(tenths);
        return rounded % 10 == 0 ? Long.toString(rounded / 10) : String.format(Locale.ROOT, "%.1f", rounded / 10.0);
    }

    /** An arrival's memory, promised until the first {@link #close}; {@link #NONE} for a VM that is no arrival. */
    static final class Promise implements AutoCloseable {
        static final Promise NONE = new Promise(null, 0);

        private final ArrivalRoom room;
        private final long bytes;
        private final AtomicBoolean kept = new AtomicBoolean(true);

        private Promise(ArrivalRoom room, long bytes) {
            this.room = room;
            this.bytes = bytes;
        }

        @Override
        public void close() {
            if (room != null && kept.compareAndSet(true, false)) {
                room.giveBack(bytes);
            }
        }
    }
}
