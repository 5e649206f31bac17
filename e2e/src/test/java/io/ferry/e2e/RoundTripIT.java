package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.Messages.Finished;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * A VM that comes back (A to B to A) and one that moves on (A to B to C, then C to A), as an operator draining hosts
 * moves them, with every shipped section installed: VNC graphics with a connected client, two leased disks, an Open
 * vSwitch port with port data on each host's own OVSDB, and snapshots made on each host it passes. After each hop the
 * safety contract holds: the VM runs on one host only, with its memory, its leases held there with a state that moved
 * on, its port data the one that came with it, its snapshots all there once each, and what the hosts it left keep of it
 * (a definition without --undefinesource) is shut off and cannot start while it runs elsewhere.
 */
public class RoundTripIT {
    private static OvsdbServer ovsA;
    private static OvsdbServer ovsB;
    private static OvsdbServer ovsC;
    private static DaemonProcess a;
    private static DaemonProcess b;
    private static DaemonProcess c;
    private static Path leases;

    @BeforeClass
    public static void threeHosts() throws Exception {
        // a test whose component is missing fails, never skips: .ci/run installs Open vSwitch
        assertTrue("ovsdb-server, ovsdb-tool and ovs-vsctl are not installed (.ci/run installs them)", OvsdbServer.available());
        leases = Files.createDirectories(Installation.WORK.resolve("leases-roundtrip-" + System.nanoTime()));
        ovsA = OvsdbServer.start("rta");
        ovsB = OvsdbServer.start("rtb");
        ovsC = OvsdbServer.start("rtc");
        for (OvsdbServer ovs : List.of(ovsA, ovsB, ovsC)) {
            ovs.vsctl("add-br", "br0");
        }
        a = DaemonProcess.start("rt-a", "--lease-dir", leases.toString(), "--ovsdb", ovsA.db());
        b = DaemonProcess.start("rt-b", "--lease-dir", leases.toString(), "--ovsdb", ovsB.db());
        c = DaemonProcess.start("rt-c", "--lease-dir", leases.toString(), "--ovsdb", ovsC.db());
    }

    @AfterClass
    public static void stop() throws Exception {
        for (AutoCloseable closeable : new AutoCloseable[] {a, b, c, ovsA, ovsB, ovsC}) {
            if (closeable != null) {
                closeable.close();
            }
        }
    }

    /** A guest with two leased disks, an Open vSwitch port and VNC graphics. */
    private static SimDomain guest(String name) {
        UUID uuid = UUID.randomUUID();
        return SimDomain.idle(name, 16).withUuid(uuid).withDevices(
                "<disk type='file' device='disk'><source file='/images/" + uuid + "-0.img'/><target dev='vda'/></disk>"
                        + "<disk type='file' device='disk'><source file='/images/" + uuid + "-1.img'/><target dev='vdb'/></disk>"
                        + "<interface type='bridge'><mac address='52:54:00:aa:01:01'/><source bridge='br0'/>"
                        + "<virtualport type='openvswitch'/></interface>"
                        + "<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>");
    }

    private static String nic(SimDomain domain) {
        return "fe" + domain.uuid().toString().substring(0, 8) + "n0";
    }

    /** The port data of the guest's port on that host's switch, unquoted. */
    private static String portData(OvsdbServer ovs, SimDomain domain) throws Exception {
        return ovs.vsctl("get", "Interface", nic(domain), "external_ids:PortData").replace("\"", "");
    }

    private static String disk(SimDomain domain, int index) {
        return "/images/" + domain.uuid() + "-" + index + ".img";
    }

    @Test
    public void aVmComesBackWithWhatItGainedAwayAndTheDefinitionLeftBehindIsItsOwn() throws Exception {
        SimDomain domain = guest("rt-back");
        String name = domain.name();
        String digest = a.boot(domain);
        ovsA.vsctl("set", "Interface", nic(domain), "external_ids:PortData=from-a");
        a.ferryOk("snapshot-create-as", name, "on-a");
        GraphicsRelocationIT.Client client = new GraphicsRelocationIT.Client(a.graphicsPort(name, "vnc"));
        client.start();
        long generation = generation(disk(domain, 0));

        a.ferryOk("migrate", "--live", "--persistent", name, b.url()); // A keeps its definition
        assertRunsOnlyOn(b, name, digest, a, c);
        assertEquals("shut off", a.state(name));
        generation = assertHeldBy(b, domain, generation);
        assertEquals("from-a", portData(ovsB, domain));
        Installation.Result second = a.ferry("start", name);
        assertEquals(second.toString(), 1, second.exit());
        assertTrue(second.err(), second.err().matches("(?s).*resource /images/" + domain.uuid() + "-[01].img is held by rt-b.*"));
        assertEquals("shut off", a.state(name));

        b.ferryOk("snapshot-create-as", name, "on-b");
        ovsB.vsctl("set", "Interface", nic(domain), "external_ids:PortData=from-b");
        b.ferryOk("migrate", "--live", "--persistent", name, a.url()); // back, B keeps a definition too
        assertRunsOnlyOn(a, name, digest, b, c);
        generation = assertHeldBy(a, domain, generation);
        assertEquals("the port data that came back", "from-b", portData(ovsA, domain));
        assertEquals("one definition on A, the one that came back", domain.uuid().toString(), a.dominfo(name).get("UUID"));
        assertEquals("yes", a.dominfo(name).get("Persistent"));
        assertEquals(List.of("on-a", "on-b"), snapshots(a, name));
        assertEquals("on-b\n", a.ferryOk("snapshot-current", name, "--name").out());
        int portOnA = a.graphicsPort(name, "vnc");
        Poll.until("the client back on A's graphics", () -> client.connectedPort == portOnA && client.greeting != null);

        // and away and back once more, the source's definition undefined, then a guest paused by its operator
        a.ferryOk("migrate", "--live", "--persistent", "--undefinesource", name, b.url());
        assertRunsOnlyOn(b, name, digest, a, c);
        assertEquals("A undefined it", null, a.state(name));
        generation = assertHeldBy(b, domain, generation);
        b.ferryOk("suspend", name);
        b.ferryOk("migrate", "--live", "--persistent", "--undefinesource", "--suspend", name, a.url());
        assertEquals("paused", a.state(name));
        assertEquals(null, b.state(name));
        a.ferryOk("resume", name);
        assertRunsOnlyOn(a, name, digest, b, c);
        assertHeldBy(a, domain, generation);
        assertEquals(List.of("on-a", "on-b"), snapshots(a, name));
        client.close();
    }

    @Test
    public void aVmDrainedFromHostToHostReachesItsFirstHostAgainWithEverySnapshotOnce() throws Exception {
        SimDomain domain = guest("rt-drain");
        String name = domain.name();
        String digest = a.boot(domain);
        a.ferryOk("snapshot-create-as", name, "s-a");
        ovsA.vsctl("set", "Interface", nic(domain), "external_ids:PortData=port-a");
        long generation = generation(disk(domain, 1));

        a.ferryOk("migrate", "--live", "--persistent", name, b.url()); // A keeps a definition and its snapshot
        b.ferryOk("snapshot-create-as", name, "s-b");
        b.ferryOk("migrate", "--live", "--persistent", "--undefinesource", name, c.url());
        assertRunsOnlyOn(c, name, digest, a, b);
        assertEquals(null, b.state(name));
        generation = assertHeldBy(c, domain, generation);
        assertEquals(List.of("s-a", "s-b"), snapshots(c, name));
        c.ferryOk("snapshot-create-as", name, "s-c");
        ovsC.vsctl("set", "Interface", nic(domain), "external_ids:PortData=port-c");
        Installation.Result start = a.ferry("start", name);
        assertEquals(start.toString(), 1, start.exit());
        assertTrue(start.err(), start.err().contains("is held by rt-c"));

        c.ferryOk("migrate", "--live", "--persistent", "--undefinesource", name, a.url());
        assertRunsOnlyOn(a, name, digest, b, c);
        assertEquals(null, c.state(name));
        assertHeldBy(a, domain, generation);
        assertEquals(List.of("s-a", "s-b", "s-c"), snapshots(a, name));
        assertEquals("s-c\n", a.ferryOk("snapshot-current", name, "--name").out());
        assertEquals("port-c", portData(ovsA, domain));
        assertTrue(a.ferryOk("snapshot-dumpxml", name, "s-c").out().contains("<name>s-b</name>"));
    }

    /**
     * Peer-to-peer away and tunnelled back at once, then both daemons killed and started again: their journals hold
     * the domain's earlier migrations as source and as destination, and neither takes them for the guest as it is now.
     * Then offline, shut off with its snapshots, away and back.
     */
    @Test
    public void backAtOnceByEveryModeAndAfterTheHostsRestart() throws Exception {
        SimDomain domain = guest("rt-modes");
        String name = domain.name();
        String digest = a.boot(domain);
        a.ferryOk("snapshot-create-as", name, "m-a");
        long generation = generation(disk(domain, 0));
        a.ferryOk("migrate", "--live", "--p2p", "--persistent", name, b.url());
        assertRunsOnlyOn(b, name, digest, a, c);
        generation = assertHeldBy(b, domain, generation);
        b.ferryOk("migrate", "--live", "--p2p", "--tunnelled", "--persistent", name, a.url());
        assertRunsOnlyOn(a, name, digest, b, c);
        generation = assertHeldBy(a, domain, generation);

        a.kill();
        b.kill();
        a = a.restart();
        b = b.restart();
        a.url();
        b.url();
        Poll.until(name + " re-attached on A", () -> "running".equals(a.state(name)));
        assertRunsOnlyOn(a, name, digest, b, c);
        assertEquals("shut off", b.state(name));
        Properties held = lease(disk(domain, 0));
        assertEquals(held.toString(), a.name, held.getProperty("owner"));
        Installation.Result start = b.ferry("start", name);
        assertEquals(start.toString(), 1, start.exit());
        assertTrue(start.err(), start.err().contains("is held by rt-a"));
        assertEquals(List.of("m-a"), snapshots(a, name));

        a.ferryOk("migrate", "--live", "--persistent", "--undefinesource", name, b.url());
        assertRunsOnlyOn(b, name, digest, a, c);
        b.ferryOk("destroy", name);
        b.ferryOk("snapshot-create-as", name, "m-b-off");
        b.ferryOk("migrate", "--offline", "--persistent", name, a.url());
        assertEquals("shut off", a.state(name));
        assertEquals(List.of("m-a", "m-b-off"), snapshots(a, name));
        a.ferryOk("migrate", "--offline", "--persistent", "--undefinesource", name, b.url());
        assertEquals(null, a.state(name));
        b.ferryOk("start", name);
        assertEquals("running", b.state(name));
        assertEquals(List.of("m-a", "m-b-off"), snapshots(b, name));
        assertHeldBy(b, domain, generation);
    }

    /**
     * The port the guest had on A outlives its leaving (A's OVSDB did not answer when the copy there stopped); B's
     * controller clears the port data there, and the guest comes back: its port on A is plugged afresh, without the
     * data A kept.
     */
    @Test
    public void aPortLeftOnTheHostItLeftDoesNotGiveTheReturningVmItsOldData() throws Exception {
        SimDomain domain = guest("rt-port");
        String name = domain.name();
        String digest = a.boot(domain);
        ovsA.vsctl("set", "Interface", nic(domain), "external_ids:PortData=from-a");
        Phases away = Phases.throughPerform(a, b, name);
        Finished finished = away.finish(false);
        ovsA.freeze();
        try {
            away.confirm(finished);
        } finally {
            ovsA.thaw();
        }
        assertRunsOnlyOn(b, name, digest, a, c);
        assertEquals("left on A: its unplug found no OVSDB answering", "from-a", portData(ovsA, domain));
        assertTrue(a.log(), a.log().contains("cannot unplug a NIC of domain '" + name + "'"));
        ovsB.vsctl("remove", "Interface", nic(domain), "external_ids", "PortData");

        b.ferryOk("migrate", "--live", name, a.url());
        assertRunsOnlyOn(a, name, digest, b, c);
        assertEquals("{vm-uuid=\"" + domain.uuid() + "\"}", ovsA.vsctl("get", "Interface", nic(domain), "external_ids"));
    }

    /**
     * Redefined on B while it runs there (more memory at its next boot), the guest goes back to A --persistent
     * --undefinesource: A keeps the definition B had stored, so the change survives B's undefine.
     */
    @Test
    public void aDefinitionChangedAwayComesBackWithTheGuest() throws Exception {
        SimDomain domain = guest("rt-redefined");
        String name = domain.name();
        String digest = a.boot(domain);
        a.ferryOk("migrate", "--live", "--persistent", name, b.url());
        b.define(domain.withMemoryMiB(32));
        assertEquals("the guest runs on as it was", "16384 KiB", b.dominfo(name).get("Max memory"));

        b.ferryOk("migrate", "--live", "--persistent", "--undefinesource", name, a.url());
        assertRunsOnlyOn(a, name, digest, b, c);
        assertEquals(null, b.state(name));
        a.ferryOk("destroy", name);
        a.ferryOk("start", name);
        assertEquals("the definition B had stored", "32768 KiB", a.dominfo(name).get("Max memory"));
    }

    /**
     * What the host it left may do to the definition it kept while the guest runs on B: snapshots, which would join the
     * ones the guest brings back (one of a name made on both hosts refused its return here), are refused naming the disk
     * and its holder; a redefinition is A's own, and the definition the guest brings back with --persistent wins.
     */
    @Test
    public void theDefinitionLeftBehindTakesNoSnapshotWhileTheGuestRunsElsewhere() throws Exception {
        SimDomain domain = guest("rt-left");
        String name = domain.name();
        String digest = a.boot(domain);
        a.ferryOk("snapshot-create-as", name, "l-a");
        a.ferryOk("migrate", "--live", "--persistent", name, b.url());
        assertRunsOnlyOn(b, name, digest, a, c);

        Installation.Result made = a.ferry("snapshot-create-as", name, "before-upgrade");
        assertEquals(made.toString(), 1, made.exit());
        assertTrue(made.err(), made.err().matches("(?s).*cannot create a snapshot of domain " + name + " here while its disks"
                + " are in use elsewhere: resource /images/" + domain.uuid() + "-[01].img is held by rt-b.*"));
        Installation.Result marked = a.ferry("snapshot-current", name, "l-a");
        assertEquals(marked.toString(), 1, marked.exit());
        assertTrue(marked.err(), marked.err().contains("is held by rt-b"));
        assertEquals(List.of("l-a"), snapshots(a, name));
        a.define(domain.withMemoryMiB(32)); // A's own inactive definition: allowed

        b.ferryOk("snapshot-create-as", name, "before-upgrade");
        b.ferryOk("migrate", "--live", "--persistent", name, a.url());
        assertRunsOnlyOn(a, name, digest, b, c);
        assertEquals(List.of("before-upgrade", "l-a"), snapshots(a, name));
        assertEquals("before-upgrade\n", a.ferryOk("snapshot-current", name, "--name").out());
        a.ferryOk("destroy", name);
        assertEquals("the definition that came back", "16384 KiB", a.dominfo(name).get("Max memory"));
    }

    /**
     * A guest without disks (network-booted) leases itself, as libvirt's sanlock driver leases a VM beside its disks:
     * the definition a live --persistent migration left behind neither starts nor takes snapshots while the guest runs
     * elsewhere. It had no lease, and its start ran a second copy beside the one on B.
     */
    @Test
    public void aGuestWithoutDisksIsNotStartedOnTheHostItLeftWhileItRunsElsewhere() throws Exception {
        SimDomain domain = SimDomain.idle("rt-diskless", 16);
        String name = domain.name();
        String itself = "domain:" + domain.uuid();
        String digest = a.boot(domain);
        a.ferryOk("migrate", "--live", "--persistent", name, b.url()); // A keeps its definition
        assertRunsOnlyOn(b, name, digest, a, c);

        Installation.Result second = a.ferry("start", name);
        assertEquals(second.toString(), 1, second.exit());
        assertTrue(second.err(), second.err().contains("Failed to acquire lock: resource " + itself + " is held by rt-b ("));
        assertTrue(second.err(), second.err().contains(") for domain " + name));
        assertEquals("shut off", a.state(name));
        assertRunsOnlyOn(b, name, digest, a, c);
        assertEquals("rt-b", lease(itself).getProperty("owner"));
        Installation.Result made = a.ferry("snapshot-create-as", name, "on-a");
        assertEquals(made.toString(), 1, made.exit());
        assertTrue(made.err(), made.err().contains("cannot create a snapshot of domain " + name + " here while it runs"
                + " elsewhere: resource " + itself + " is held by rt-b"));

        b.ferryOk("migrate", "--live", "--persistent", "--undefinesource", name, a.url()); // back
        assertRunsOnlyOn(a, name, digest, b, c);
        assertEquals("true", lease(itself).getProperty("held"));
        assertEquals("rt-a", lease(itself).getProperty("owner"));
        a.ferryOk("destroy", name);
        assertEquals("given back", "false", lease(itself).getProperty("held"));
    }

    /**
     * Back while the host it left has not settled the first migration (its Confirm never came, and its daemon was
     * killed and started again): the way back is refused while that host still holds the paused copy, and works once
     * it settled; the journal there holds the first migration confirmed, the second finished.
     */
    @Test
    public void backBeforeTheSourceSettledItsLeaving() throws Exception {
        SimDomain domain = guest("rt-early");
        String name = domain.name();
        String digest = a.boot(domain);
        Phases away = Phases.throughPerform(a, b, name);
        Finished finished = away.finish(false);
        assertEquals(finished.toString(), name, finished.domain());
        assertEquals("paused", a.state(name));
        a.kill();
        a = a.restart();
        Installation.Result early = b.ferry("migrate", "--live", name, a.url());
        if (early.exit() != 0) {
            assertTrue(early.err(), early.err().contains(name));
            assertRunsOnlyOrPausedCopy(b, name, digest);
            Poll.until("A to settle migration " + away.id, () -> !"paused".equals(a.state(name)));
            b.ferryOk("migrate", "--live", name, a.url());
        }
        assertRunsOnlyOn(a, name, digest, b, c);
        assertTrue(journal(a, away.id), journal(a, away.id).contains("step='confirmed'"));
    }

    private static void assertRunsOnlyOrPausedCopy(DaemonProcess runner, String name, String digest) throws Exception {
        assertEquals("running", runner.state(name));
        assertEquals(digest, runner.digest(name));
    }

    private static String journal(DaemonProcess host, String id) throws IOException {
        return Files.readString(host.stateDir.resolve("migrations").resolve(id + ".xml"));
    }

    /** The guest runs on {@code runner} with its memory and has no live copy nor VM directory on the others. */
    private static void assertRunsOnlyOn(DaemonProcess runner, String name, String digest, DaemonProcess... others) throws Exception {
        assertEquals(name + " on " + runner, "running", runner.state(name));
        assertEquals("memory of " + name + " on " + runner, digest, runner.digest(name));
        assertFalse(runner.dominfo(name).toString(), runner.dominfo(name).containsKey("Migration"));
        for (DaemonProcess other : others) {
            String there = other.state(name);
            assertTrue(name + " on " + other + ": " + there, there == null || there.equals("shut off"));
            try (Stream<Path> runs = Files.list(Files.createDirectories(other.stateDir.resolve("run")))) {
                assertEquals("VM directories on " + other, List.of(), runs.filter(Files::isDirectory)
                        .filter(d -> !d.getFileName().toString().startsWith(".")).filter(d -> {
                            try {
                                return runner.dominfo(name).get("UUID").equals(d.getFileName().toString());
                            } catch (Exception e) {
                                throw new AssertionError(e);
                            }
                        }).toList());
            }
        }
    }

    /** Both disks' leases are held by {@code host}, with a generation past {@code before}; returns the first's. */
    private static long assertHeldBy(DaemonProcess host, SimDomain domain, long before) throws IOException {
        for (int i = 0; i < 2; i++) {
            Properties lease = lease(disk(domain, i));
            assertEquals("lease of " + disk(domain, i) + ": " + lease, "true", lease.getProperty("held"));
            assertEquals("holder of " + disk(domain, i), host.name, lease.getProperty("owner"));
        }
        long now = generation(disk(domain, 0));
        assertNotEquals("the lease state moved on", before, now);
        return now;
    }

    private static long generation(String disk) throws IOException {
        return Long.parseLong(lease(disk).getProperty("generation"));
    }

    /** The lease file of a resource: a disk's source, or a domain's own ({@code domain:UUID}). */
    private static Properties lease(String disk) throws IOException {
        try (Stream<Path> files = Files.list(leases)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".lease")).toList()) {
                Properties lease = new Properties();
                lease.load(new StringReader(Files.readString(file)));
                if (disk.equals(lease.getProperty("resource"))) {
                    return lease;
                }
            }
        }
        throw new AssertionError("no lease of " + disk + " in " + leases);
    }

    private static List<String> snapshots(DaemonProcess host, String name) throws Exception {
        return host.ferryOk("snapshot-list", name).out().lines().skip(2).map(String::trim).filter(l -> !l.isEmpty())
                .map(l -> l.split("\\s+")[0]).sorted().toList();
    }
}
