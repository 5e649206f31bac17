package io.ferry.driver.sim;

import static io.ferry.driver.sim.Sim.MIB_KIB;
import static io.ferry.driver.sim.Sim.spec;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.VirtualMachine;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Graphics listeners: real sockets, a greeting, and the relocation line a client acts on. */
public class GraphicsTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Rule
    public final TestHypervisor sim = new TestHypervisor();
    private final SimHypervisor hypervisor = sim.hypervisor;

    private static BufferedReader reader(Socket socket) throws Exception {
        socket.setSoTimeout(10_000);
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    }

    @Test
    public void clientsAreGreetedAndRelocated() throws Exception {
        DomainSpec spec = spec("desk", UUID.randomUUID(), 8 * MIB_KIB, 0, new DomainSpec.Graphics("vnc", -1, null),
                new DomainSpec.Graphics("spice", -1, "127.0.0.1"), new DomainSpec.Graphics("sdl", -1, null));
        VirtualMachine vm = hypervisor.boot(spec, tmp.newFolder().toPath());
        List<DomainSpec.Graphics> listeners = vm.graphicsListeners();
        assertEquals(2, listeners.size());
        DomainSpec.Graphics vnc = listeners.get(0);
        DomainSpec.Graphics spice = listeners.get(1);
        assertEquals("vnc", vnc.type());
        assertEquals("127.0.0.1", vnc.listen());
        assertTrue(vnc.port() > 0);
        assertEquals("spice", spice.type());

        try (Socket vncClient = new Socket(vnc.listen(), vnc.port());
                Socket spiceClient = new Socket(spice.listen(), spice.port())) {
            BufferedReader vncLines = reader(vncClient);
            BufferedReader spiceLines = reader(spiceClient);
            assertEquals("FERRY-SIM vnc desk", vncLines.readLine());
            assertEquals("FERRY-SIM spice desk", spiceLines.readLine());

            vm.relocateGraphicsClients(new DomainSpec.Graphics("vnc", 5901, "dst.example.org"), null);
            assertEquals("RELOCATE dst.example.org 5901", vncLines.readLine());
            vm.relocateGraphicsClients(new DomainSpec.Graphics("spice", 5902, "10.0.0.2"), "CN=dst");
            assertEquals("the vnc relocation went to vnc clients only", "RELOCATE 10.0.0.2 5902",
                    spiceLines.readLine());

            HypervisorException e = assertThrows(HypervisorException.class,
                    () -> vm.relocateGraphicsClients(new DomainSpec.Graphics("rdp", 1, "x"), null));
            assertEquals("domain 'desk' has no rdp graphics", e.getMessage());

            vm.destroy();
            assertNull("destroy closes the connections", vncLines.readLine());
            assertNull(spiceLines.readLine());
            assertEquals(List.of(), Sim.threadsOf("desk"));
        }
    }

    @Test
    public void aClientThatLeftIsDropped() throws Exception {
        VirtualMachine vm = hypervisor.boot(spec("gone", UUID.randomUUID(), 8 * MIB_KIB, 0,
                new DomainSpec.Graphics("vnc", -1, null)), tmp.newFolder().toPath());
        DomainSpec.Graphics vnc = vm.graphicsListeners().get(0);
        try (Socket client = new Socket(vnc.listen(), vnc.port())) {
            assertEquals("FERRY-SIM vnc gone", reader(client).readLine());
        }
        for (int i = 0; i < 3; i++) { // a write to a closed peer fails at the latest on the second try
            vm.relocateGraphicsClients(new DomainSpec.Graphics("vnc", 5900, "h"), null);
        }
        try (Socket client = new Socket(vnc.listen(), vnc.port())) {
            BufferedReader lines = reader(client);
            assertEquals("FERRY-SIM vnc gone", lines.readLine());
            vm.relocateGraphicsClients(new DomainSpec.Graphics("vnc", 5900, "h"), null);
            assertEquals("RELOCATE h 5900", lines.readLine());
        }
    }

    /**
     * A client that connected and left (a viewer reconnecting, a port scan, anyone who reaches the port) kept its
     * connection open in the daemon for as long as the guest ran: the server never read from it, so it never saw it
     * go, and dropped it only at a migration's relocation. 200 such clients: 200 descriptors held.
     */
    @Test
    public void clientsThatLeftHoldNoDescriptor() throws Exception {
        VirtualMachine vm = hypervisor.boot(spec("viewed", UUID.randomUUID(), 8 * MIB_KIB, 0,
                new DomainSpec.Graphics("vnc", -1, null)), tmp.newFolder().toPath());
        DomainSpec.Graphics vnc = vm.graphicsListeners().get(0);
        long before = descriptors();
        for (int i = 0; i < 200; i++) {
            try (Socket client = new Socket(vnc.listen(), vnc.port())) {
                assertEquals("FERRY-SIM vnc viewed", reader(client).readLine());
            }
        }
        assertTrue("descriptors held after 200 clients came and went: " + (descriptors() - before),
                eventually(() -> descriptors() <= before + 2));
    }

    /** Clients that stay connected are a guest's {@value GraphicsServer#MAX_CLIENTS} at most, as QEMU's VNC server's. */
    @Test
    public void aFloodOfClientsHoldsAtMostTheLimit() throws Exception {
        VirtualMachine vm = hypervisor.boot(spec("flooded", UUID.randomUUID(), 8 * MIB_KIB, 0,
                new DomainSpec.Graphics("vnc", -1, null)), tmp.newFolder().toPath());
        DomainSpec.Graphics vnc = vm.graphicsListeners().get(0);
        long before = descriptors();
        List<Socket> flood = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 100; i++) {
                flood.add(new Socket(vnc.listen(), vnc.port()));
            }
            assertTrue("descriptors the server holds for 100 clients: " + (descriptors() - before - flood.size()),
                    eventually(() -> descriptors() - before - flood.size() <= GraphicsServer.MAX_CLIENTS + 2));
            vm.relocateGraphicsClients(new DomainSpec.Graphics("vnc", 5900, "h"), null);
            BufferedReader first = reader(flood.get(0)); // the first ones are served
            assertEquals("FERRY-SIM vnc flooded", first.readLine());
            assertEquals("RELOCATE h 5900", first.readLine());
        } finally {
            for (Socket client : flood) {
                client.close();
            }
        }
    }

    private static long descriptors() {
        try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
            return fds.count();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Whether {@code condition} holds within 30 s: the server sees a client leave on its own thread. */
    private static boolean eventually(java.util.function.BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 3000; i++) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }
}
