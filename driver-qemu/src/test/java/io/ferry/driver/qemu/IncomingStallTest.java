package io.ferry.driver.qemu;

import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** A destination QEMU that stops taking the migration stream (wedged, or broken) must not hold the job for good. */
public class IncomingStallTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test(timeout = 30_000) // a hang guard: the old code blocked for good in its write to QEMU
    public void anAbortStopsAFeedQemuNoLongerTakes() throws Exception {
        DomainSpec spec = Guests.spec("stalled", 32, "0");
        RunFiles files = new RunFiles(tmp.newFolder("run").toPath());
        files.prepare(null);
        QemuSettings settings = Guests.settings(tmp.newFolder("state").toPath());
        QemuProcess process = QemuProcess.start(List.of("sleep", "600"), tmp.getRoot().toPath().resolve("vm.log"));
        try (FakeQmp qemu = new FakeQmp(files.qmp(), (command, out) -> FakeQmp.write(out,
                "{\"return\": {}, \"id\": \"" + FakeQmp.id(command) + "\"}\n"));
                ServerSocketChannel neverRead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)
                        .bind(UnixDomainSocketAddress.of(files.incoming()));
                Qmp qmp = Qmp.connect(files.qmp(), 10_000, () -> true, () -> "")) {
            QemuVirtualMachine vm = new QemuVirtualMachine(QemuDomain.of(spec), files, process, qmp, settings,
                    new NicPlumbing(null), () -> { }, Runnable::run, List::of);
            Guests.Control control = new Guests.Control();
            control.abort = () -> true; // the operator's domjobabort, while the feed waits on QEMU
            new IncomingMigration(vm, settings).receive(endless(), control);
            fail("the feed ended although QEMU took almost none of it");
        } catch (HypervisorException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("aborted"));
        } finally {
            process.kill();
        }
    }

    private static InputStream endless() {
        return new InputStream() {
            @Override
            public int read() {
                return 0;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return len;
            }
        };
    }
}
