package io.ferry.driver.sim;

import static io.ferry.driver.sim.Sim.MIB_KIB;
import static io.ferry.driver.sim.Sim.spec;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.GraphicsConsole;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.VirtualMachine;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.util.UUID;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** A domain destroyed before or during a call: each call says so, none reads released memory. */
public class DestroyedDomainTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Rule
    public final TestHypervisor sim = new TestHypervisor();

    @Test
    public void everyCallOnADestroyedDomainIsRefusedNamingIt() throws Exception {
        DomainSpec.Graphics vnc = new DomainSpec.Graphics("vnc", -1, null);
        VirtualMachine vm = sim.hypervisor.boot(spec("gone", UUID.randomUUID(), 8 * MIB_KIB, 0, vnc),
                tmp.newFolder().toPath());
        vm.memoryDigest(); // a quiet guest's digest is kept: the destroy must still be noticed
        vm.destroy();

        assertTrue(assertThrows(IllegalStateException.class, vm::memoryDigest).getMessage().endsWith(" is released"));
        assertEquals("domain 'gone' is destroyed", assertThrows(HypervisorException.class,
                () -> vm.sendMemory(OutputStream.nullOutputStream(), new Sim.Control())).getMessage());
        assertEquals("domain 'gone' is destroyed", assertThrows(HypervisorException.class,
                () -> vm.receiveMemory(new ByteArrayInputStream(new byte[0]), new Sim.Control())).getMessage());
        assertEquals("domain 'gone' is destroyed", assertThrows(HypervisorException.class,
                () -> vm.capability(GraphicsConsole.class).orElseThrow()
                        .relocateClients(new DomainSpec.Graphics("vnc", 5901, "127.0.0.1"), -1, null)).getMessage());
        assertEquals("domain 'gone' is destroyed", assertThrows(IllegalStateException.class, vm::pause).getMessage());
    }

    @Test
    public void aDomainDestroyedWhileItsMemoryStreamsFailsTheMigrationNamingTheDestroy() throws Exception {
        VirtualMachine vm = sim.hypervisor.boot(spec("doomed", UUID.randomUUID(), 8 * MIB_KIB, 0),
                tmp.newFolder().toPath());
        OutputStream destroysOnFirstWrite = new OutputStream() {
            @Override
            public void write(int b) {
                vm.destroy();
            }

            @Override
            public void write(byte[] bytes, int offset, int length) {
                vm.destroy();
            }
        };

        HypervisorException refusal = assertThrows(HypervisorException.class,
                () -> vm.sendMemory(destroysOnFirstWrite, new Sim.Control()));
        assertEquals("domain 'doomed' was destroyed during the migration", refusal.getMessage());
    }
}
