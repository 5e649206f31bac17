package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;

import io.ferry.api.hypervisor.HypervisorException;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A command on a QMP connection the daemon closed itself (a destroy under way) says so: it is not "QEMU exited", which
 * would send whoever reads the log after a crash that never happened.
 */
public class QmpClosedTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void aCommandAfterTheDaemonClosedTheConnectionSaysItWasClosed() throws Exception {
        Path socket = tmp.getRoot().toPath().resolve("qmp.sock");
        try (FakeQmp qemu = new FakeQmp(socket, (command, out) -> FakeQmp.write(out, "{\"return\": {}, \"id\": \""
                + FakeQmp.id(command) + "\"}\n")); Qmp qmp = Qmp.connect(socket, 10_000, () -> true, () -> "QEMU's last words")) {
            qmp.close();

            HypervisorException e = assertThrows(HypervisorException.class, () -> qmp.execute("query-status", null, 10_000));

            assertEquals("the QMP connection was closed during query-status", e.getMessage());
            assertFalse(qmp.isOpen());
        }
    }
}
