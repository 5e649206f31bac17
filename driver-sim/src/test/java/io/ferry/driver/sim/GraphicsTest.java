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
}
