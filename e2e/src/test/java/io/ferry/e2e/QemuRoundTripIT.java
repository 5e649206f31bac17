package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.ferry.launcher.BundleJars;
import io.ferry.launcher.QemuMonitor;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * Real QEMU guests that come back (A to B to A at once, live, client-managed and {@code --p2p --tunnelled}, with
 * {@code --persistent} with and without {@code --undefinesource}; A's daemon restarted between hops and after the
 * return), with an Open vSwitch port, and move on (A to B to C to A), as
 * {@link RoundTripIT} does with the embedded driver. After each hop: one live QEMU of the guest on the machine, on the
 * host it went to, whose pidfile and QMP socket are its own; the guest running on with its memory (its write counter
 * went on from where it was); its disk's lease held there; nothing left in the run directory of the host it left that a
 * returning QEMU could trip on; and a daemon restarted on the host it came back to re-attaches that QEMU.
 */
public class QemuRoundTripIT {
    @ClassRule
    public static final TwoHosts HOSTS = TwoHosts.forQemu();

    /** The run files of a stay (docs/qemu.md), the test monitor's socket among them. */
    private static final List<String> RUN_FILES = List.of("qemu.pid", "qemu.started", "qmp.sock", "out.sock",
            QemuMonitor.SOCKET);

    @Test
    public void aGuestComesBackDirectAndTunnelledAcrossRestarts() throws Exception {
        QemuGuest guest = leasedGuest("qemu-back");
        DaemonProcess a = HOSTS.source;
        DaemonProcess b = HOSTS.destination;
        try (QemuMonitor first = guest.start(a)) {
            long writes = first.guestStatus(Installation.work()).writes();
            first.close();
            writes = hop(guest, a, b, writes, "--live", "--persistent", "--unsafe");
            HOSTS.source = a.restart(); // between the hops: what A keeps of the stay is no guest
            a = HOSTS.source;
            assertEquals("what A keeps of it", Optional.of("shut off"), a.listedState(guest.name()));
            writes = hop(guest, b, a, writes, "--live", "--persistent", "--unsafe");
            assertEquals("what B keeps of it, without --undefinesource", Optional.of("shut off"), b.listedState(guest.name()));
            writes = hop(guest, a, b, writes, "--live", "--p2p", "--tunnelled", "--persistent", "--undefinesource", "--unsafe");
            writes = hop(guest, b, a, writes, "--live", "--p2p", "--tunnelled", "--persistent", "--undefinesource", "--unsafe");
            assertEquals("B no longer knows it", Optional.empty(), b.listedState(guest.name()));

            a = restartAndReattach(guest, b, writes);
            a.ferryOk("suspend", guest.name()); // its QMP is the re-attached QEMU's
            a.ferryOk("resume", guest.name());
        } finally {
            HOSTS.source.ferry("destroy", guest.name());
            HOSTS.destination.ferry("destroy", guest.name());
        }
    }

    @Test
    public void aGuestMovesOnToAThirdHostAndBack() throws Exception {
        QemuGuest guest = leasedGuest("qemu-chain");
        DaemonProcess a = HOSTS.source;
        DaemonProcess b = HOSTS.destination;
        try (DaemonProcess c = DaemonProcess.startIn(HOSTS.dir.resolve("c"), "third", Map.of(),
                "--lease-dir", HOSTS.dir.resolve("leases").toString());
                QemuMonitor first = guest.start(a)) {
            // the hosts' sections alike: the test section's feature is mandatory
            BundleJars.dropInto(Path.of(System.getProperty("ferry.test.section")), c.deployDir, "test-section.jar");
            Poll.until("the gate section on " + c, () -> c.ferryOk("sections").out().lines()
                    .anyMatch(line -> line.startsWith(" gate ")));
            long writes = first.guestStatus(Installation.work()).writes();
            first.close();
            writes = hop(guest, a, b, writes, "--live", "--persistent", "--undefinesource", "--unsafe");
            writes = hop(guest, b, c, writes, "--live", "--p2p", "--tunnelled", "--persistent", "--undefinesource", "--unsafe");
            writes = hop(guest, c, a, writes, "--live", "--p2p", "--persistent", "--undefinesource", "--unsafe");
            for (DaemonProcess left : List.of(b, c)) {
                assertEquals(guest.name() + " on " + left, Optional.empty(), left.listedState(guest.name()));
                assertEquals(List.of(), QemuProcesses.of(guest.uuid(), left.stateDir));
            }
        } finally {
            HOSTS.source.ferry("destroy", guest.name());
        }
    }

    /**
     * An Open vSwitch NIC (each host its own ovsdb-server; each host's tap named by {@code --xml}, as two QEMUs on one
     * machine cannot share a tap) back at once: A's port, removed when the guest left, is plugged afresh by the
     * returning QEMU and carries the port data the guest had on B, not what A had set before.
     */
    @Test
    public void anOpenvswitchPortComesBackWithThePortDataItHadElsewhere() throws Throwable {
        int suffix = ThreadLocalRandom.current().nextInt(1000, 9999);
        try (OvsdbServer ovsA = OvsdbServer.start("rqa"); OvsdbServer ovsB = OvsdbServer.start("rqb")) {
            ovsA.vsctl("add-br", "br0");
            ovsB.vsctl("add-br", "br0");
            TwoHosts hosts = TwoHosts.forQemu(new String[] {"--ovsdb", ovsA.db()}, new String[] {"--ovsdb", ovsB.db()});
            hosts.before();
            try {
                String tapA = "frta" + suffix;
                String tapB = "frtb" + suffix;
                QemuGuest onA = new QemuGuest("qemu-ovs-back", UUID.randomUUID(), 32, "1M",
                        QemuGuest.openvswitchNic(tapA), hosts.emulator);
                QemuGuest onB = new QemuGuest(onA.name(), onA.uuid(), 32, "1M", QemuGuest.openvswitchNic(tapB),
                        hosts.emulator);
                try (QemuMonitor first = onA.start(hosts.source)) {
                    long writes = first.guestStatus(Installation.work()).writes();
                    first.close();
                    ovsA.vsctl("set", "Interface", tapA, "external_ids:PortData=from-a");

                    writes = hop(onB, hosts.source, hosts.destination, writes, "--live", "--xml", onB.file().toString());
                    assertEquals("", ovsA.vsctl("list-ports", "br0"));
                    assertEquals("from-a", ovsB.vsctl("get", "Interface", tapB, "external_ids:PortData"));
                    ovsB.vsctl("set", "Interface", tapB, "external_ids:PortData=from-b");

                    hop(onA, hosts.destination, hosts.source, writes, "--live", "--p2p", "--xml", onA.file().toString());
                    assertEquals("", ovsB.vsctl("list-ports", "br0"));
                    assertEquals(tapA, ovsA.vsctl("list-ports", "br0"));
                    assertEquals("from-b", ovsA.vsctl("get", "Interface", tapA, "external_ids:PortData"));
                    assertEquals("\"" + onA.uuid() + "\"", ovsA.vsctl("get", "Interface", tapA, "external_ids:vm-uuid"));
                } finally {
                    hosts.source.ferry("destroy", onA.name());
                }
            } finally {
                hosts.after();
            }
        }
    }

    /**
     * The QEMU of the stay the guest left ends late (strace holds its first unlink for 2 s, as a loaded host or a slow
     * clean-up does) while the guest already comes back. On its way out QEMU unlinks its QMP socket, the test's and its
     * pidfile by their paths: those of the QEMU that took the guest back in the same run directory. That guest then
     * had neither, and the next restart of the daemon could not re-attach it.
     */
    @Test
    public void theQemuOfTheStayItLeftEndingLateLeavesTheReturningOnesFilesAlone() throws Exception {
        backWhileTheQemuItLeftStillEnds("qemu-late-exit", false);
    }

    /**
     * As {@link #theQemuOfTheStayItLeftEndingLateLeavesTheReturningOnesFilesAlone}, but A's daemon is killed and
     * restarted while the QEMU the guest left still ends (stopped by the test in its held unlink, and let go on once the
     * guest is on its way back): the restarted daemon does not know that QEMU, which still runs with the guest's command
     * line in the guest's run directory.
     */
    @Test
    public void aDaemonRestartedWhileTheQemuItLeftStillEndsLeavesTheReturningOnesFilesAlone() throws Exception {
        backWhileTheQemuItLeftStillEnds("qemu-late-restart", true);
    }

    /**
     * A to B, its QEMU on A held on its way out, at once back to A (A's daemon killed and restarted in between if
     * {@code restartBetween}), then A's daemon restarted once more: it re-attaches the guest.
     */
    private static void backWhileTheQemuItLeftStillEnds(String name, boolean restartBetween) throws Exception {
        assertTrue("strace is not installed (.ci/install-qemu installs it)", Files.isExecutable(Path.of("/usr/bin/strace")));
        QemuGuest guest = leasedGuest(name);
        DaemonProcess b = HOSTS.destination;
        Process strace = null;
        try (QemuMonitor first = guest.start(HOSTS.source)) {
            long writes = first.guestStatus(Installation.work()).writes();
            first.close();
            long earlier = QemuProcesses.theOne(guest.uuid(), HOSTS.source.stateDir).pid();
            strace = holdFirstUnlink(earlier, 2);

            HOSTS.source.ferryOk("migrate", "--live", "--persistent", "--unsafe", guest.name(), b.url());
            if (!restartBetween) {
                writes = hop(guest, b, HOSTS.source, writes, "--live", "--persistent", "--unsafe");
            } else {
                QemuProcesses.signal(earlier, "STOP"); // in its held unlink: nobody kills it, its daemon is gone
                HOSTS.source.kill();
                HOSTS.source = HOSTS.source.restart();
                DaemonProcess a = HOSTS.source;
                assertTrue("the QEMU the guest left still ends", ProcessHandle.of(earlier).map(ProcessHandle::isAlive)
                        .orElse(false));
                Installation.Running back = b.ferryInBackground("migrate", "--live", "--persistent", "--unsafe",
                        guest.name(), a.url());
                Poll.until("A to wait for the QEMU the guest left, or the guest back", () -> !back.isAlive()
                        || a.log().contains("QEMU process " + earlier + " of domain '" + guest.name() + "' still runs"));
                QemuProcesses.signal(earlier, "CONT");
                Installation.Result result = back.await();
                assertEquals(result.toString(), 0, result.exit());
                writes = assertLandedOn(guest, a, b, writes);
            }

            restartAndReattach(guest, b, writes);
        } finally {
            if (strace != null) {
                strace.destroyForcibly();
            }
            HOSTS.source.ferry("destroy", guest.name());
            HOSTS.destination.ferry("destroy", guest.name());
        }
    }

    /**
     * Restarts the source daemon, where the guest runs: it re-attaches the same QEMU, and the guest landed there as
     * {@link #assertLandedOn} checks. Returns the restarted daemon.
     */
    private static DaemonProcess restartAndReattach(QemuGuest guest, DaemonProcess other, long writes) throws Exception {
        long pid = QemuProcesses.theOne(guest.uuid(), HOSTS.source.stateDir).pid();
        HOSTS.source = HOSTS.source.restart();
        DaemonProcess restarted = HOSTS.source;
        Poll.until("the restarted daemon to re-attach " + guest.name(), () -> restarted.log()
                .contains("re-attached to QEMU of domain '" + guest.name() + "'"));
        assertEquals("the QEMU the restarted daemon re-attached", pid,
                QemuProcesses.theOne(guest.uuid(), restarted.stateDir).pid());
        assertLandedOn(guest, restarted, other, writes);
        return restarted;
    }

    /**
     * Has strace hold the first unlink of process {@code pid} (its first on its way out: QEMU unlinks nothing while it
     * runs) for {@code seconds}, as a loaded host or a slow clean-up holds it; returns strace, tracing.
     */
    private static Process holdFirstUnlink(long pid, int seconds) throws Exception {
        Process strace = new ProcessBuilder("strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=unlink,unlinkat",
                "-e", "inject=unlink,unlinkat:delay_enter=" + seconds * 1_000_000 + ":when=1", "-p", Long.toString(pid))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Poll.until("strace to trace process " + pid, () -> Files.readAllLines(Path.of("/proc", Long.toString(pid),
                "status")).stream().anyMatch(line -> line.startsWith("TracerPid:") && !line.endsWith("\t0")));
        return strace;
    }

    /** A dirtying guest (1 MiB: it converges at once) with a disk leased in the lease directory the hosts share. */
    private static QemuGuest leasedGuest(String name) throws Exception {
        Path disk = HOSTS.dir.resolve(name + ".img");
        try (RandomAccessFile image = new RandomAccessFile(disk.toFile(), "rw")) {
            image.setLength(1 << 20);
        }
        return new QemuGuest(name, UUID.randomUUID(), 32, "1M", "", HOSTS.emulator).withDevices(
                "    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='" + disk
                        + "'/><target dev='vda' bus='virtio'/></disk>\n");
    }

    /** Migrates the guest from {@code from} to {@code to} with {@code flags}; returns its write counter there. */
    static long hop(QemuGuest guest, DaemonProcess from, DaemonProcess to, long writesBefore, String... flags)
            throws Exception {
        List<String> args = new ArrayList<>(List.of("migrate"));
        args.addAll(List.of(flags));
        args.add(guest.name());
        args.add(to.url());
        from.ferryOk(args.toArray(String[]::new));
        return assertLandedOn(guest, to, from, writesBefore);
    }

    /**
     * The guest runs on {@code host} alone, with its memory, in a QEMU whose run files are its own, its disk's lease
     * held there; {@code left} has no copy of it running and nothing of its stay in the run directory. Returns the
     * guest's write counter.
     */
    static long assertLandedOn(QemuGuest guest, DaemonProcess host, DaemonProcess left, long writesBefore) throws Exception {
        String name = guest.name();
        Poll.until(name + " to run on " + host, () -> "running".equals(host.state(name)));
        Optional<String> there = left.listedState(name);
        assertTrue(name + " on " + left + ": " + there, there.isEmpty() || there.get().equals("shut off"));
        Poll.until("one QEMU of " + name + " on the machine", () -> QemuProcesses.of(guest.uuid()).size() == 1);
        long pid = QemuProcesses.theOne(guest.uuid(), host.stateDir).pid();
        Path runDir = guest.runDir(host);
        for (String file : List.of("qemu.pid", "qemu.started", "qmp.sock", QemuMonitor.SOCKET)) {
            assertTrue(file + " of " + name + " on " + host, Files.exists(runDir.resolve(file), LinkOption.NOFOLLOW_LINKS));
        }
        assertEquals("the pidfile of " + name + " on " + host, Long.toString(pid),
                Files.readString(runDir.resolve("qemu.pid")).trim());
        Path leftDir = guest.runDir(left);
        for (String file : RUN_FILES) {
            assertFalse(file + " of the stay on " + left + " is left", Files.exists(leftDir.resolve(file), LinkOption.NOFOLLOW_LINKS));
        }
        for (String disk : guest.devices().lines().filter(l -> l.contains("<source file='")).map(
                l -> l.replaceAll(".*<source file='([^']*)'.*", "$1")).toList()) {
            assertEquals("holder of the lease of " + disk, host.name, Placement.leaseHolder(HOSTS.dir.resolve("leases"), disk));
        }
        try (QemuMonitor monitor = guest.monitor(host)) {
            assertEquals("QEMU's run state of " + name + " on " + host, "running", monitor.runState());
            QemuMonitor.GuestStatus status = monitor.guestStatus(Installation.work());
            assertEquals("the guest's status block", QemuMonitor.STATUS_MAGIC, status.magic());
            assertTrue("the guest's write counter went on from " + writesBefore + ": " + status.writes(),
                    status.writes() >= writesBefore);
            return monitor.awaitWritesBeyond(status.writes(), Installation.work()).writes();
        }
    }
}
