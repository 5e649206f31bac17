package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;

import io.ferry.api.hypervisor.DomainSpec;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The driver cancels a QEMU's outgoing migration after Perform fails and, at re-attach, one left over by a daemon that
 * died. The QEMU is a stand-in monitor whose migration keeps its status until {@code migrate_cancel}, then is
 * cancelled; the commands it was sent are what is asserted.
 */
public class OutgoingCancelTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    /** A cancel asks once more once QEMU says its migration is over: it does not wait out its 10 s bound. */
    @Test
    public void aCancelAsksNoMoreOnceQemusMigrationIsOver() throws Exception {
        assertEquals(List.of("migrate_cancel", "query-migrate"), commandsSentBy("active", OutgoingMigration::cancel));
    }

    /** A daemon that died in Perform left its QEMU migrating out: the re-attach cancels it. */
    @Test
    public void aLeftOverOutgoingMigrationIsCancelledAtReattach() throws Exception {
        assertEquals(List.of("query-migrate", "migrate_cancel", "query-migrate"),
                commandsSentBy("active", vm -> OutgoingMigration.cancelLeftOver(vm, "running")));
    }

    /** One that completed is left as it is (its guest left: the core settles it), and so is a QEMU that never migrated. */
    @Test
    public void aLeftOverMigrationThatEndedIsNotCancelledAtReattach() throws Exception {
        for (String status : List.of("completed", "failed", "none")) {
            assertEquals(status, List.of("query-migrate"),
                    commandsSentBy(status, vm -> OutgoingMigration.cancelLeftOver(vm, "postmigrate")));
        }
    }

    /**
     * An incoming QEMU's migration is the one it receives (its query-migrate says active too): the re-attach of a
     * destination whose daemon died in Prepare or Perform leaves it alone, for recovery to settle.
     */
    @Test
    public void anIncomingQemuIsNotCancelledAtReattach() throws Exception {
        assertEquals(List.of(), commandsSentBy("active", vm -> OutgoingMigration.cancelLeftOver(vm, "inmigrate")));
    }

    private interface Call {
        void on(QemuVirtualMachine vm) throws Exception;
    }

    /** The commands {@code call} sent a stand-in QEMU whose migration is {@code status} until cancelled. */
    private List<String> commandsSentBy(String status, Call call) throws Exception {
        DomainSpec spec = Guests.spec("cancel", 32, "0");
        RunFiles files = Guests.preparedRunFiles(tmp.newFolder().toPath());
        QemuProcess process = QemuProcess.start(List.of("sleep", "600"), tmp.getRoot().toPath().resolve("vm.log"));
        Queue<String> sent = new ConcurrentLinkedQueue<>();
        boolean[] cancelled = {false};
        try (FakeQmp qemu = new FakeQmp(files.qmp(), (command, out) -> {
            String name = FakeQmp.command(command);
            sent.add(name);
            cancelled[0] |= name.equals("migrate_cancel");
            String value = name.equals("query-migrate")
                    ? "{\"status\": \"" + (cancelled[0] ? "cancelled" : status) + "\"}" : "{}";
            FakeQmp.write(out, "{\"return\": " + value + ", \"id\": \"" + FakeQmp.id(command) + "\"}\n");
        }); Qmp qmp = Qmp.connect(files.qmp(), 10_000, process::isAlive, process::lastLogLine)) {
            QemuVirtualMachine vm = Guests.vm(spec, files, process, qmp,
                    Guests.settings(tmp.newFolder().toPath()), () -> { });
            call.on(vm);
            return List.copyOf(sent);
        } finally {
            process.kill();
        }
    }
}
