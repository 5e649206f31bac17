package io.ferry.e2e;

import io.ferry.launcher.BundleJars;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

/**
 * The failure matrix with real daemons: each of the five phases meets each fault, and every cell ends with one
 * invariant check ({@link Placement}): exactly one running copy with its memory, its leases held by that host,
 * no paused orphan, definition and snapshots intact, the job lock free. The faults:
 * <ul>
 * <li>a section throws in bake, or in eat (the test section's {@code fault}, mandatory);</li>
 * <li>the peer daemon is killed (SIGKILL) while the phase is half done, and restarted;</li>
 * <li>the connection to the driver is cut: the {@code ferry migrate} process is killed while the phase is half done;</li>
 * <li>the section is uninstalled from the host running the phase while the phase is half done;</li>
 * <li>the daemon running the phase is killed and restarted while the phase is half done.</li>
 * </ul>
 * "Half done" is the last section call of the phase, where the test section holds ({@link FaultOrders}): Begin
 * has baked nothing yet; Prepare has its incoming VM; Perform has sent the memory, paused the guest and released
 * its leases; Finish has committed; Confirm is about to stop the source. Two cells do not exist: Begin eats no
 * cookie and Confirm bakes none (as in libvirt), so 28 cells run.
 */
@RunWith(Parameterized.class)
public class FaultMatrixIT {
    enum Phase {
        BEGIN("bake:begin", true), PREPARE("bake:prepare", false), PERFORM("bake:perform", true),
        FINISH("bake:finish", false), CONFIRM("eat:confirm", true);

        final String holdAt;
        final boolean onSource;

        Phase(String holdAt, boolean onSource) {
            this.holdAt = holdAt;
            this.onSource = onSource;
        }

        String name(String step) {
            return step + ":" + name().toLowerCase();
        }
    }

    enum Fault { THROW_IN_BAKE, THROW_IN_EAT, PEER_KILLED, DRIVER_GONE, SECTION_REMOVED, OWN_DAEMON_RESTARTED }

    private static FaultOrders sourceOrders;
    private static FaultOrders destinationOrders;
    private static DaemonProcess source;
    private static DaemonProcess destination;
    private static Path leases;

    private final Phase phase;
    private final Fault fault;

    public FaultMatrixIT(Phase phase, Fault fault) {
        this.phase = phase;
        this.fault = fault;
    }

    @Parameters(name = "{0} x {1}")
    public static List<Object[]> cells() {
        List<Object[]> cells = new ArrayList<>();
        String only = System.getProperty("ferry.fault.cells", ""); // PHASE:FAULT,... to run some cells alone
        for (Phase phase : Phase.values()) {
            for (Fault fault : Fault.values()) {
                boolean exists = !(phase == Phase.BEGIN && fault == Fault.THROW_IN_EAT)
                        && !(phase == Phase.CONFIRM && fault == Fault.THROW_IN_BAKE);
                if (exists && (only.isBlank() || List.of(only.split(",")).contains(phase + ":" + fault))) {
                    cells.add(new Object[] {phase, fault});
                }
            }
        }
        return cells;
    }

    @BeforeClass
    public static void startTwoHosts() throws Exception {
        Path work = Files.createTempDirectory(Installation.work(), "fault-matrix");
        leases = Files.createDirectories(work.resolve("leases"));
        sourceOrders = new FaultOrders(work.resolve("source-orders"));
        destinationOrders = new FaultOrders(work.resolve("destination-orders"));
        source = withTestSection("fm-source", sourceOrders);
        destination = withTestSection("fm-destination", destinationOrders);
    }

    @AfterClass
    public static void stopTwoHosts() throws Exception {
        for (DaemonProcess daemon : new DaemonProcess[] {source, destination}) {
            if (daemon != null) {
                daemon.close();
            }
        }
    }

    private static DaemonProcess withTestSection(String name, FaultOrders orders) throws Exception {
        return orders.startDaemon(name, Map.of(), "--lease-dir", leases.toString(), "--confirm-wait", "5",
                "--finish-wait", "5");
    }

    @Test
    public void endsWithOneRunningCopy() throws Exception {
        String vm = ("fm-" + phase + "-" + fault).toLowerCase().replace('_', '-');
        Placement.Guest guest = Placement.startGuest(source, vm, leases);
        // after the commit (Finish's bake, Confirm) the guest ends on the destination, before it on the source (a
        // section removed while it bakes Perform's cookie cannot write it: the migration fails before the commit)
        boolean committed = fault == Fault.THROW_IN_EAT ? phase == Phase.CONFIRM : phase == Phase.FINISH || phase == Phase.CONFIRM;
        Installation.Result result = switch (fault) {
            case THROW_IN_BAKE -> throwing(phase.name("bake"), vm);
            case THROW_IN_EAT -> throwing(phase.name("eat"), vm);
            default -> holding(vm);
        };
        if (result != null) {
            assertEquals(this + ": the command tells the truth\n" + result, committed ? 0 : 1, result.exit());
        }
        DaemonProcess runner = committed ? destination : source;
        Placement.assertSettled(runner, runner == source ? destination : source, guest, leases);
        if (committed) { // next cell starts on the source again
            Placement.migrateBack(destination, source, vm);
        }
    }

    private Installation.Result throwing(String step, String vm) throws Exception {
        FaultOrders orders = ordersOf(hostOf(step));
        orders.give("throw " + step);
        Installation.Result result = source.ferry("migrate", "--live", "--persistent", "--undefinesource", vm, destination.url());
        // a fault after the commit is only logged: the command's answer is the same whether it struck or not
        orders.assertCarriedOut("throw " + step);
        orders.clear();
        if (result.exit() != 0) {
            String err = result.err();
            assertTrue(step + ": one line: " + err, err.startsWith("error: ") && err.indexOf('\n') == err.length() - 1);
            assertTrue(step + ": names the section and what failed: " + err,
                    err.contains("cookie section fault ") && err.contains("fault injected at " + step));
        }
        return result;
    }

    /** The phase holds half done; the fault strikes; the phase goes on, if anything of it is left. */
    private Installation.Result holding(String vm) throws Exception {
        DaemonProcess host = phase.onSource ? source : destination;
        FaultOrders orders = ordersOf(host);
        orders.give("hold " + phase.holdAt);
        Installation.Running migration = source.ferryInBackground("migrate", "--live", "--persistent", "--undefinesource",
                vm, destination.url());
        orders.awaitHeld(migration);
        Installation.Result result = null;
        switch (fault) {
            case PEER_KILLED -> {
                DaemonProcess peer = host == source ? destination : source;
                peer.kill();
                orders.release();
                if (phase == Phase.BEGIN) { // the driver meets a dead destination at Prepare; it comes back only after
                    result = migration.await();
                    replace(peer, peer.restart());
                } else { // back at once, as a supervised daemon: nothing it left may make the outcome go wrong
                    replace(peer, peer.restart());
                    result = migration.await();
                }
            }
            case DRIVER_GONE -> {
                migration.process().destroyForcibly().waitFor();
                orders.release();
            }
            case SECTION_REMOVED -> {
                Files.delete(host.deployDir.resolve("test-section.jar"));
                FaultOrders.awaitFaultSection(host, false);
                orders.release();
                result = migration.await();
                BundleJars.dropInto(FaultOrders.TEST_SECTION, host.deployDir, "test-section.jar");
                FaultOrders.awaitFaultSection(host, true);
            }
            case OWN_DAEMON_RESTARTED -> {
                host.kill();
                replace(host, host.restart());
                result = migration.await();
            }
            default -> throw new AssertionError(fault);
        }
        orders.clear();
        return result;
    }

    private static void replace(DaemonProcess old, DaemonProcess restarted) throws Exception {
        if (old == source) {
            source = restarted;
        } else {
            destination = restarted;
        }
        restarted.url();
    }

    private static DaemonProcess hostOf(String step) {
        return step.endsWith(":begin") || step.endsWith(":perform") || step.endsWith(":confirm") ? source : destination;
    }

    private static FaultOrders ordersOf(DaemonProcess host) {
        return host == source ? sourceOrders : destinationOrders;
    }

    @Override
    public String toString() {
        return phase + " x " + fault;
    }
}
