package io.ferry.driver.sim;

import static io.ferry.driver.sim.Sim.MIB_KIB;
import static io.ferry.driver.sim.Sim.spec;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.VirtualMachine;
import java.nio.ByteBuffer;
import java.io.ByteArrayOutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The driver's life cycle: validation, boot, pause/resume, destroy, reattach after a daemon restart. */
public class SimHypervisorTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Rule
    public final TestHypervisor sim = new TestHypervisor();
    private final SimHypervisor hypervisor = sim.hypervisor;

    private static String refusal(DomainSpec spec, SimHypervisor hypervisor) {
        return assertThrows(HypervisorException.class, () -> hypervisor.validate(spec)).getMessage();
    }

    @Test
    public void validateChecksTypeMemoryVcpusAndWorkload() throws Exception {
        UUID uuid = UUID.randomUUID();
        hypervisor.validate(spec("ok", uuid, 8 * MIB_KIB, 0));
        hypervisor.validate(spec("no-xml", uuid, 8 * MIB_KIB, ""));
        hypervisor.validate(spec("max", uuid, SimHypervisor.MAX_MEMORY_KIB, 100));
        assertEquals("domain type 'kvm' is not handled by the sim driver", refusal(new DomainSpec("x", uuid, "kvm",
                8 * MIB_KIB, 1, List.of(), List.of(), List.of(), "<domain/>"), hypervisor));
        assertEquals("memory must be positive, not 0 KiB", refusal(spec("x", uuid, 0, 0), hypervisor));
        assertEquals("memory of 1026 KiB is not a multiple of the 4 KiB page size",
                refusal(spec("x", uuid, 1026, 0), hypervisor));
        assertEquals("memory of 67108868 KiB exceeds the sim driver's limit of 67108864 KiB (64 GiB)",
                refusal(spec("x", uuid, SimHypervisor.MAX_MEMORY_KIB + 4, 0), hypervisor));
        assertEquals("at least one vCPU is needed, not 0", refusal(new DomainSpec("x", uuid, "sim", 8 * MIB_KIB, 0,
                List.of(), List.of(), List.of(), "<domain/>"), hypervisor));
        assertTrue(refusal(spec("x", uuid, 8 * MIB_KIB, -1), hypervisor)
                .startsWith("invalid sim:workload dirty-pages-per-second '-1'"));
        assertTrue(refusal(spec("x", uuid, 8 * MIB_KIB, "<domain><metadata>"), hypervisor)
                .startsWith("invalid domain XML: "));
        assertTrue(refusal(spec("x", uuid, 8 * MIB_KIB, "<!DOCTYPE d [<!ENTITY e 'x'>]><domain>&e;</domain>"),
                hypervisor).startsWith("invalid domain XML: "));
        String twice = "<domain><metadata><w:workload xmlns:w='" + DomainXml.NAMESPACE + "'/><w:workload xmlns:w='"
                + DomainXml.NAMESPACE + "'/></metadata></domain>";
        assertEquals("more than one sim:workload element in the domain metadata",
                refusal(spec("x", uuid, 8 * MIB_KIB, twice), hypervisor));
        DomainSpec.Graphics[] many = new DomainSpec.Graphics[SimHypervisor.MAX_GRAPHICS + 1];
        java.util.Arrays.fill(many, new DomainSpec.Graphics("vnc", -1, "127.0.0.1"));
        hypervisor.validate(spec("eight", uuid, 8 * MIB_KIB, "<domain/>", java.util.Arrays.copyOf(many, SimHypervisor.MAX_GRAPHICS)));
        assertEquals("domain 'x' has 9 graphics devices, over the sim driver's limit of 8 (each costs this host a listener"
                + " and a thread)", refusal(spec("x", uuid, 8 * MIB_KIB, "<domain/>", many), hypervisor));
    }

    /**
     * A graphics server listens where the QEMU driver's would: port -1 (autoport) or 5900-65535, on an IP address. A
     * peer's arrival took port 80 of any address while it lived, and a host name was looked up in DNS at its Prepare.
     */
    @Test
    public void graphicsListenOnAnIpAddressAtAPortOfTheVncRangeOnly() throws Exception {
        UUID uuid = UUID.randomUUID();
        assertEquals("invalid graphics port '80' of domain 'x' (vnc): -1 (autoport) or 5900-65535",
                refusal(spec("x", uuid, 8 * MIB_KIB, 0, new DomainSpec.Graphics("vnc", 80, "127.0.0.1")), hypervisor));
        assertEquals("invalid graphics port '0' of domain 'x' (spice): -1 (autoport) or 5900-65535",
                refusal(spec("x", uuid, 8 * MIB_KIB, 0, new DomainSpec.Graphics("spice", 0, null)), hypervisor));
        assertEquals("invalid graphics listen address 'example.com' of domain 'x' (vnc): an IP address (a name would be"
                + " looked up in DNS)", refusal(spec("x", uuid, 8 * MIB_KIB, 0,
                        new DomainSpec.Graphics("vnc", -1, "example.com")), hypervisor));
        assertEquals("invalid graphics listen address 'a?RELOCATE' of domain 'x' (vnc): an IP address (a name would be"
                + " looked up in DNS)", refusal(spec("x", uuid, 8 * MIB_KIB, 0,
                        new DomainSpec.Graphics("vnc", -1, "a\nRELOCATE")), hypervisor));
        for (String listen : List.of("999.0.0.1", "127.1", "[::1]", "fe80::1%lo", "1::2::3", " 127.0.0.1")) {
            assertTrue(listen, refusal(spec("x", uuid, 8 * MIB_KIB, 0, new DomainSpec.Graphics("vnc", -1, listen)),
                    hypervisor).startsWith("invalid graphics listen address '" + listen + "'"));
        }
        hypervisor.validate(spec("ok", uuid, 8 * MIB_KIB, 0, new DomainSpec.Graphics("vnc", 5901, "127.0.0.1"),
                new DomainSpec.Graphics("spice", 65535, "::1"), new DomainSpec.Graphics("vnc", -1, "0.0.0.0"),
                new DomainSpec.Graphics("vnc", -1, null), new DomainSpec.Graphics("sdl", 80, "example.com")));
        Path dir = tmp.newFolder().toPath();
        HypervisorException arrival = assertThrows(HypervisorException.class, () -> hypervisor.createIncoming(
                spec("in", uuid, 8 * MIB_KIB, 0, new DomainSpec.Graphics("vnc", 443, "0.0.0.0")), dir));
        assertEquals("invalid graphics port '443' of domain 'in' (vnc): -1 (autoport) or 5900-65535",
                arrival.getMessage());
        assertFalse(Files.exists(dir.resolve("memory")));
    }

    @Test
    public void workloadRateDefaultsAndIgnoresOtherNamespaces() throws Exception {
        assertEquals(256, DomainXml.dirtyPagesPerSecond("<domain/>"));
        assertEquals(256, DomainXml.dirtyPagesPerSecond("<domain><metadata><workload dirty-pages-per-second='9'/>"
                + "</metadata></domain>"));
        assertEquals(9, DomainXml.dirtyPagesPerSecond("<domain><metadata><s:workload xmlns:s='"
                + DomainXml.NAMESPACE + "' dirty-pages-per-second=' 9 '/></metadata></domain>"));
        assertEquals(256, DomainXml.dirtyPagesPerSecond(null));
    }

    @Test
    public void eachDefinitionKeepsItsOwnWorkloadAndARefusedOneIsRefusedEveryTime() throws Exception {
        for (int round = 0; round < 3; round++) { // read again and again, alternately, from what was read before
            for (int rate = 1; rate <= 100; rate++) {
                assertEquals(rate, DomainXml.dirtyPagesPerSecond("<domain><metadata><s:workload xmlns:s='"
                        + DomainXml.NAMESPACE + "' dirty-pages-per-second='" + rate + "'/></metadata></domain>"));
            }
            assertTrue(DomainXml.workload("<domain><metadata><s:workload xmlns:s='" + DomainXml.NAMESPACE
                    + "' fill='random'/></metadata></domain>").randomFill());
            HypervisorException e = assertThrows(HypervisorException.class, () -> DomainXml.workload("<domain><metadata><s:workload"
                    + " xmlns:s='" + DomainXml.NAMESPACE + "' fill='ones'/></metadata></domain>"));
            assertEquals("invalid sim:workload fill 'ones': expected 'zero' or 'random'", e.getMessage());
        }
    }

    @Test
    public void bootFillsMemoryFromTheUuid() throws Exception {
        UUID uuid = UUID.randomUUID();
        VirtualMachine a = hypervisor.boot(spec("a", uuid, 8 * MIB_KIB, 0), tmp.newFolder().toPath());
        VirtualMachine b = new SimHypervisor().boot(spec("b", uuid, 8 * MIB_KIB, 0), tmp.newFolder().toPath());
        VirtualMachine c = hypervisor.boot(spec("c", UUID.randomUUID(), 8 * MIB_KIB, 0), tmp.newFolder().toPath());
        assertTrue(a.isRunning());
        assertTrue(a.memoryDigest().matches("crc32c:[0-9a-f]{8}/2048"));
        assertEquals("same UUID, same content, whatever the chunk size", a.memoryDigest(), b.memoryDigest());
        assertNotEquals(a.memoryDigest(), c.memoryDigest());
        b.destroy();
    }

    @Test
    public void incomingMemoryIsZeroAndPaused() throws Exception {
        Path dir = tmp.newFolder().toPath();
        VirtualMachine vm = hypervisor.createIncoming(spec("in", UUID.randomUUID(), 8 * MIB_KIB, 1000), dir);
        assertFalse(vm.isRunning());
        CRC32C zeros = new CRC32C();
        zeros.update(new byte[8 << 20]);
        assertEquals(String.format("crc32c:%08x/2048", zeros.getValue()), vm.memoryDigest());
        assertEquals(8L << 20, Files.size(dir.resolve("memory")));
        assertEquals("paused", Files.readString(dir.resolve("state")).split(" ")[0]);
        assertEquals("no workload while paused", List.of(), Sim.threadsOf("in"));
    }

    @Test
    public void digestHoldsStillWhilePausedAndMovesWhileRunning() throws Exception {
        Path dir = tmp.newFolder().toPath();
        VirtualMachine vm = hypervisor.boot(spec("busy", UUID.randomUUID(), 8 * MIB_KIB, 5000), dir);
        assertEquals(List.of("sim-busy-workload"), Sim.threadsOf("busy"));
        vm.pause();
        assertFalse(vm.isRunning());
        assertEquals("paused", Files.readString(dir.resolve("state")).split(" ")[0]);
        String paused = vm.memoryDigest();
        assertEquals(List.of(), Sim.threadsOf("busy"));
        assertEquals(paused, vm.memoryDigest());
        vm.pause(); // idempotent
        vm.resume();
        assertEquals("running", Files.readString(dir.resolve("state")).split(" ")[0]);
        assertTrue(Sim.eventually(() -> !vm.memoryDigest().equals(paused)));
    }

    @Test
    public void aGuestThatDoesNotWriteHasItsMemoryReadForItsDigestOnce() throws Exception {
        Path dir = tmp.newFolder().toPath();
        VirtualMachine vm = hypervisor.boot(spec("still", UUID.randomUUID(), 8 * MIB_KIB, 0), dir);
        String digest = vm.memoryDigest();
        assertEquals(Sim.fileDigest(dir), digest);
        try (FileChannel file = FileChannel.open(dir.resolve("memory"), StandardOpenOption.WRITE)) {
            file.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 4096); // behind the guest's back: seen only by a read
        }
        assertNotEquals(digest, Sim.fileDigest(dir));
        assertEquals("the digest is not read again (a domain's description asks for it)", digest, vm.memoryDigest());
    }

    @Test
    public void destroyDeletesTheFilesAndStopsEverything() throws Exception {
        Path dir = tmp.newFolder().toPath();
        DomainSpec spec = spec("doomed", UUID.randomUUID(), 8 * MIB_KIB, 5000, new DomainSpec.Graphics("vnc", -1, null));
        VirtualMachine vm = hypervisor.boot(spec, dir);
        assertTrue(Files.exists(dir.resolve("memory")));
        assertEquals(2, Sim.threadsOf("doomed").size());
        vm.destroy();
        assertFalse(Files.exists(dir.resolve("memory")));
        assertFalse(Files.exists(dir.resolve("state")));
        assertEquals(List.of(), Sim.threadsOf("doomed"));
        assertEquals(List.of(), vm.graphicsListeners());
        vm.destroy(); // idempotent
        assertThrows(IllegalStateException.class, vm::resume);
        assertEquals(Optional.empty(), hypervisor.reattach(spec, dir));
        // the run directory is free again
        hypervisor.boot(spec, dir).destroy();
    }

    @Test
    public void onlyTheDaemonsUserMayReadAGuestsMemoryOrEnterItsRunDirectory() throws Exception {
        Path booted = tmp.getRoot().toPath().resolve("run").resolve("booted"); // made by the driver
        hypervisor.boot(spec("secret", UUID.randomUUID(), 8 * MIB_KIB, 0), booted);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(booted)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(booted.resolve("memory"))));
        Path arriving = tmp.getRoot().toPath().resolve("run").resolve("arriving");
        hypervisor.createIncoming(spec("arriving", UUID.randomUUID(), 8 * MIB_KIB, 0), arriving);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(arriving)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(arriving.resolve("memory"))));
    }

    @Test
    public void oneVmPerRunDirectory() throws Exception {
        Path dir = tmp.newFolder().toPath();
        hypervisor.boot(spec("one", UUID.randomUUID(), 8 * MIB_KIB, 0), dir);
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> hypervisor.boot(spec("two", UUID.randomUUID(), 8 * MIB_KIB, 0), dir));
        assertTrue(e.getMessage(), e.getMessage().contains("is in use by another domain"));
    }

    @Test
    public void reattachAfterRestartFindsAPausedVmAsItWas() throws Exception {
        Path dir = tmp.newFolder().toPath();
        DomainSpec spec = spec("phoenix", UUID.randomUUID(), 8 * MIB_KIB, 5000);
        VirtualMachine before = hypervisor.boot(spec, dir);
        before.pause();
        String digest = before.memoryDigest();
        hypervisor.deactivate();
        assertEquals(List.of(), Sim.threadsOf("phoenix"));
        assertTrue("memory stays for the next daemon", Files.exists(dir.resolve("memory")));

        SimHypervisor restarted = new SimHypervisor();
        try {
            VirtualMachine after = restarted.reattach(spec, dir).orElseThrow();
            assertFalse(after.isRunning());
            assertEquals(digest, after.memoryDigest());
            assertEquals("reattach twice: the same VM", after, restarted.reattach(spec, dir).orElseThrow());
            after.resume();
            assertTrue("the workload runs again", Sim.eventually(() -> !after.memoryDigest().equals(digest)));
        } finally {
            restarted.deactivate();
        }
    }

    /**
     * Also when a power cut emptied the state (nothing, or NUL bytes: it is written without a sync), which a crash of
     * the daemon never leaves: that re-attach failed ("unreadable run state ''"), and the core kept the domain
     * unreadable ("may still run"), every job refused and its leases held, at every start.
     */
    @Test
    public void aVmDoesNotOutliveItsHostsRestart() throws Exception {
        Path dir = tmp.newFolder().toPath();
        DomainSpec spec = spec("rebooted", UUID.randomUUID(), 8 * MIB_KIB, 0);
        hypervisor.boot(spec, dir);
        hypervisor.deactivate();
        String state = Files.readString(dir.resolve("state")).trim();
        assertTrue(state, state.startsWith("running "));
        // the state as an earlier boot of the host left it, and as a power cut may
        byte[] earlierBoot = "running 00000000-0000-0000-0000-000000000000\n".getBytes(StandardCharsets.US_ASCII);
        for (byte[] left : new byte[][] {earlierBoot, new byte[0], new byte[earlierBoot.length]}) {
            Files.write(dir.resolve("state"), left);
            SimHypervisor afterReboot = new SimHypervisor();
            try {
                assertEquals("the VM died with the host", Optional.empty(), afterReboot.reattach(spec, dir));
                assertEquals(List.of(), Sim.threadsOf("rebooted"));
            } finally {
                afterReboot.deactivate();
            }
        }
    }

    @Test
    public void reattachAfterRestartRestartsARunningVm() throws Exception {
        Path dir = tmp.newFolder().toPath();
        DomainSpec spec = spec("runner", UUID.randomUUID(), 8 * MIB_KIB, 5000);
        hypervisor.boot(spec, dir);
        hypervisor.deactivate();
        assertEquals(List.of(), Sim.threadsOf("runner"));
        String stopped = Sim.fileDigest(dir);

        SimHypervisor restarted = new SimHypervisor(Sim.TEST_CHUNK);
        try {
            VirtualMachine after = restarted.reattach(spec, dir).orElseThrow();
            assertTrue(after.isRunning());
            assertEquals(List.of("sim-runner-workload"), Sim.threadsOf("runner"));
            assertTrue(Sim.eventually(() -> !after.memoryDigest().equals(stopped)));
        } finally {
            restarted.deactivate();
        }
    }

    @Test
    public void reattachWithoutMemoryIsEmptyAndWithTheWrongSizeRefused() throws Exception {
        Path dir = tmp.newFolder().toPath();
        UUID uuid = UUID.randomUUID();
        assertEquals(Optional.empty(), hypervisor.reattach(spec("ghost", uuid, 8 * MIB_KIB, 0), dir));
        assertEquals(Optional.empty(), hypervisor.reattach(spec("ghost", uuid, 8 * MIB_KIB, 0), dir.resolve("none")));
        hypervisor.boot(spec("ghost", uuid, 8 * MIB_KIB, 0), dir).pause();
        hypervisor.deactivate();
        SimHypervisor restarted = new SimHypervisor(Sim.TEST_CHUNK);
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> restarted.reattach(spec("ghost", uuid, 16 * MIB_KIB, 0), dir));
        assertTrue(e.getMessage(), e.getMessage().contains("has 8388608 bytes, the domain 16777216"));
        assertFalse(restarted.reattach(spec("ghost", uuid, 8 * MIB_KIB, 0), dir).orElseThrow().isRunning());
        restarted.deactivate();
    }

    /**
     * A guest's memory is a file outside the heap, its per-page tables are not (about a thousandth of it): a peer that
     * Prepared seven arrivals of 64 GiB filled ferryd's heap, and the OutOfMemoryError struck whatever thread came
     * next, past its clean-up. A VM or transfer beyond the driver's budget for them is refused
     * before anything is made, naming what it needs and what is left.
     */
    @Test
    public void vmsAndTransfersBeyondTheBudgetForPageTablesAreRefusedBeforeAnythingIsMade() throws Exception {
        SimHypervisor small = new SimHypervisor(Sim.TEST_CHUNK, 4 << 20); // a 1 GiB guest's tables: 1056 KiB
        try {
            List<VirtualMachine> arrivals = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                arrivals.add(small.createIncoming(spec("in" + i, UUID.randomUUID(), 1024 * MIB_KIB, 0, "zero"),
                        tmp.newFolder().toPath()));
            }
            Path dir = tmp.getRoot().toPath().resolve("in3");
            HypervisorException e = assertThrows(HypervisorException.class, () -> small.createIncoming(
                    spec("in3", UUID.randomUUID(), 1024 * MIB_KIB, 0, "zero"), dir));
            assertEquals("cannot create the incoming VM of domain 'in3': its 1048576 KiB of memory need 1056 KiB of"
                    + " page tables on the daemon's heap, and 928 KiB of the sim driver's 4096 KiB for them are left",
                    e.getMessage());
            assertFalse("nothing made", Files.exists(dir));
            e = assertThrows(HypervisorException.class, () -> small.boot(
                    spec("booted", UUID.randomUUID(), 1024 * MIB_KIB, 0, "zero"), dir));
            assertTrue(e.getMessage(), e.getMessage().startsWith("cannot boot domain 'booted': its 1048576 KiB"));
            assertFalse(Files.exists(dir));

            ByteArrayOutputStream sent = new ByteArrayOutputStream();
            e = assertThrows(HypervisorException.class, () -> arrivals.get(0).sendMemory(sent, new Sim.Control()));
            assertTrue(e.getMessage(), e.getMessage().startsWith("cannot send the memory of domain 'in0': its 1048576"
                    + " KiB of memory need 1056 KiB of page tables"));
            assertEquals("nothing sent", 0, sent.size());

            arrivals.remove(0).destroy();
            arrivals.get(0).sendMemory(sent, new Sim.Control());
            assertTrue("sent", sent.size() > 0);
            // given back by the destroy and by the transfer's end: there is room for one more VM, and no more
            small.createIncoming(spec("in3", UUID.randomUUID(), 1024 * MIB_KIB, 0, "zero"), dir);
            assertThrows(HypervisorException.class, () -> small.createIncoming(
                    spec("in4", UUID.randomUUID(), 1024 * MIB_KIB, 0, "zero"), tmp.newFolder().toPath()));
        } finally {
            small.deactivate();
        }
    }

    @Test
    public void aFailedBootLeavesNothingBehind() throws Exception {
        Path dir = tmp.newFolder().toPath();
        try (var taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            DomainSpec spec = spec("clash", UUID.randomUUID(), 8 * MIB_KIB, 0,
                    new DomainSpec.Graphics("vnc", taken.getLocalPort(), "127.0.0.1"));
            HypervisorException e = assertThrows(HypervisorException.class, () -> hypervisor.boot(spec, dir));
            assertTrue(e.getMessage(), e.getMessage().startsWith("cannot listen on 127.0.0.1:" + taken.getLocalPort()
                    + " for the vnc graphics of domain 'clash'"));
        }
        assertFalse(Files.exists(dir.resolve("memory")));
        assertFalse(Files.exists(dir.resolve("state")));
        hypervisor.boot(spec("clash", UUID.randomUUID(), 8 * MIB_KIB, 0), dir);
    }
}
