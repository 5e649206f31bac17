package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.api.hypervisor.HypervisorException;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A QEMU older than the driver drives is refused when its monitor greets, naming its version: QEMU 9.0 took each
 * start (with a user to drop to) and each Prepare's {@code migrate-incoming} for a command it did not know.
 */
public class QemuVersionTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void aQemuOlderThanTheOldestTheDriverDrivesIsRefusedByItsVersion() throws Exception {
        assertEquals("QEMU 9.0.2 is older than 9.1, the oldest this driver drives (see docs/qemu.md)",
                refusal(greeting("{\"micro\": 2, \"minor\": 0, \"major\": 9}")));
        assertEquals("QEMU 8.2.0 is older than 9.1, the oldest this driver drives (see docs/qemu.md)",
                refusal(greeting("{\"micro\": 0, \"minor\": 2, \"major\": 8}")));
        assertEquals("a QEMU whose QMP greeting names no version is older than 9.1, the oldest this driver drives"
                + " (see docs/qemu.md)", refusal("{\"QMP\": {\"version\": {}, \"capabilities\": []}}"));
    }

    @Test
    public void theOldestAndNewerAreDriven() throws Exception {
        for (String version : new String[] {"{\"micro\": 0, \"minor\": 1, \"major\": 9}",
                "{\"micro\": 2, \"minor\": 0, \"major\": 10}"}) {
            Path socket = tmp.newFolder().toPath().resolve("qmp.sock");
            try (FakeQmp qemu = new FakeQmp(socket, greeting(version), (command, out) -> { });
                    Qmp qmp = Qmp.connect(socket, 10_000, () -> true, () -> "")) {
                assertEquals(version, true, qmp.isOpen());
            }
        }
    }

    private static String greeting(String version) {
        return "{\"QMP\": {\"version\": {\"qemu\": " + version + ", \"package\": \"\"}, \"capabilities\": []}}";
    }

    private String refusal(String greeting) throws Exception {
        Path socket = tmp.newFolder().toPath().resolve("qmp.sock");
        try (FakeQmp qemu = new FakeQmp(socket, greeting, (command, out) -> { })) {
            return assertThrows(HypervisorException.class, () -> Qmp.connect(socket, 10_000, () -> true, () -> ""))
                    .getMessage();
        }
    }
}
