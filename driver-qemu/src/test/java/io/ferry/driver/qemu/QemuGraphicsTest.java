package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.api.hypervisor.DomainSpec;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * What the driver asks of QEMU to relocate a guest's SPICE clients ({@code client_migrate_info}): the destination's
 * TLS port and certificate subject only when it has them. (A real QEMU takes both without a word whether they are
 * there or not, so QemuMigrationTest cannot tell; a QMP stand-in records what was sent.)
 */
public class QemuGraphicsTest {
    private static final DomainSpec.Graphics DESTINATION = new DomainSpec.Graphics("spice", 5900, "192.0.2.7");

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void theTlsPortAndCertificateSubjectAreSentWhenTheDestinationHasThem() throws Exception {
        assertEquals("{\"protocol\":\"spice\",\"hostname\":\"192.0.2.7\",\"port\":5900,\"tls-port\":5901,"
                + "\"cert-subject\":\"C=XX,O=Ferry,CN=destination\"}", relocation(5901, "C=XX,O=Ferry,CN=destination"));
    }

    @Test
    public void noTlsPortOrSubjectIsSentWithoutThem() throws Exception {
        String plain = "{\"protocol\":\"spice\",\"hostname\":\"192.0.2.7\",\"port\":5900}";
        assertEquals(plain, relocation(-1, null));
        assertEquals(plain, relocation(0, " "));
    }

    /**
     * Where the graphics servers listen is fixed at QEMU's start: asked once, as {@code dominfo} and Prepare's graphics
     * section do, it is not asked again of a QEMU that may since have hung ({@code dominfo} waited the command timeout
     * for each server, on the connection {@code ferry list}'s second a domain and migrations' calls wait for).
     */
    @Test
    public void theListenersOnceAnsweredAreNotAskedAgain() throws Exception {
        DomainSpec spec = spiceGuest();
        RunFiles files = runFiles();
        AtomicInteger asked = new AtomicInteger();
        QemuProcess process = QemuProcess.start(List.of("sleep", "600"), tmp.newFolder().toPath().resolve("vm.log"));
        try (FakeQmp qemu = new FakeQmp(files.qmp(), (command, out) -> {
            if (asked.incrementAndGet() == 1) { // then it hangs
                FakeQmp.write(out, "{\"return\": {\"port\": 5930}, \"id\": \"" + FakeQmp.id(command) + "\"}\n");
            }
        }); Qmp qmp = Qmp.connect(files.qmp(), 10_000, process::isAlive, process::lastLogLine)) {
            QemuSettings settings = Guests.settings(tmp.newFolder().toPath());
            QemuVirtualMachine vm = Guests.vm(spec, files, process, qmp, settings, () -> { });
            List<DomainSpec.Graphics> first = vm.listeners();
            assertEquals(List.of(new DomainSpec.Graphics("spice", 5930, "127.0.0.1")), first);

            assertEquals("after QEMU hung", first, vm.listeners());
            assertEquals("commands sent", 1, asked.get());
        } finally {
            process.kill();
        }
    }

    /**
     * A QEMU that ended by itself (it crashed, or its guest powered off while a migration held the domain, so no
     * destroy came) listens nowhere: its ports, kept once answered, are not listed any more.
     */
    @Test
    public void aQemuThatEndedListsNoListeners() throws Exception {
        DomainSpec spec = spiceGuest();
        RunFiles files = runFiles();
        QemuProcess process = QemuProcess.start(List.of("sleep", "600"), tmp.newFolder().toPath().resolve("vm.log"));
        try (FakeQmp qemu = new FakeQmp(files.qmp(), (command, out) -> FakeQmp.write(out,
                "{\"return\": {\"port\": 5930}, \"id\": \"" + FakeQmp.id(command) + "\"}\n"));
                Qmp qmp = Qmp.connect(files.qmp(), 10_000, process::isAlive, process::lastLogLine)) {
            QemuVirtualMachine vm = Guests.vm(spec, files, process, qmp, Guests.settings(tmp.newFolder().toPath()),
                    () -> { });
            assertEquals(List.of(new DomainSpec.Graphics("spice", 5930, "127.0.0.1")), vm.listeners());

            process.kill();
            assertTrue("ended", process.awaitGone(10_000));
            assertEquals("after QEMU ended", List.of(), vm.listeners());
        } finally {
            process.kill();
        }
    }

    /** The arguments of the {@code client_migrate_info} a SPICE guest's relocation sent. */
    private String relocation(int tlsPort, String tlsSubject) throws Exception {
        DomainSpec spec = spiceGuest();
        RunFiles files = runFiles();
        List<JsonNode> sent = new CopyOnWriteArrayList<>();
        QemuProcess process = QemuProcess.start(List.of("sleep", "600"), tmp.newFolder().toPath().resolve("vm.log"));
        try (FakeQmp qemu = new FakeQmp(files.qmp(), (command, out) -> {
            sent.add(FakeQmp.json(command));
            FakeQmp.write(out, "{\"return\": {}, \"id\": \"" + FakeQmp.id(command) + "\"}\n");
        }); Qmp qmp = Qmp.connect(files.qmp(), 10_000, process::isAlive, process::lastLogLine)) {
            QemuVirtualMachine vm = Guests.vm(spec, files, process, qmp, Guests.settings(tmp.newFolder().toPath()), () -> { });
            vm.relocateGraphicsClients(DESTINATION, tlsPort, tlsSubject);
        } finally {
            process.kill();
        }
        List<JsonNode> relocations = sent.stream().filter(c -> c.path("execute").asText().equals("client_migrate_info")).toList();
        assertEquals(sent.toString(), 1, relocations.size());
        return relocations.get(0).path("arguments").toString();
    }

    private static DomainSpec spiceGuest() {
        return Guests.spec(Guests.xml("spice", UUID.randomUUID(), 32, "0",
                "<graphics type='spice' autoport='yes' listen='127.0.0.1'/>"));
    }

    private RunFiles runFiles() throws Exception {
        RunFiles files = new RunFiles(tmp.newFolder().toPath());
        files.prepare(null);
        return files;
    }
}
