package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.GuestState;
import io.ferry.api.hypervisor.HypervisorException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A guest QEMU paused by itself (a disk whose error policy stops the guest: BLOCK_IO_ERROR, then STOP, run state
 * {@code io-error}): the driver says so, and a failed migration does not resume it, as QEMU itself leaves it.
 */
public class QemuSelfPauseTest {
    private static final String IO_ERROR = "{\"event\": \"BLOCK_IO_ERROR\", \"data\": {\"device\": \"\", \"node-name\":"
            + " \"drive-vda\", \"operation\": \"write\", \"action\": \"stop\", \"nospace\": true, \"reason\": \"No space left"
            + " on device\"}, \"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}\n"
            + "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 1}}\n";

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private long commandTimeoutMillis = 10_000;

    /** The commands the fake QEMU was sent, by name. */
    private final List<String> sent = new CopyOnWriteArrayList<>();

    @Test
    public void aGuestQemuPausedForAnIoErrorIsSeenPausedByIt() throws Exception {
        withVm((command, out) -> reply(out, command, command.contains("query-status")
                ? "{\"status\": \"io-error\", \"running\": false}" : "{}"), vm -> {
            GuestState.Observed now = vm.observe(Long.MAX_VALUE).orElseThrow();
            assertFalse(now.running());
            assertEquals(GuestState.PausedBy.IO_ERROR, now.pausedBy());
        });
    }

    /**
     * A guest that panicked, QEMU's panic action being to pause it (as libvirt's {@code <on_crash>preserve}), is seen
     * paused by its panic once the switch-over made the run state {@code postmigrate}: the event tells.
     */
    @Test
    public void aPanicStillTellsOnceTheSwitchOverMadeItPostmigrate() throws Exception {
        withVm((command, out) -> {
            if (command.contains("query-status")) {
                FakeQmp.write(out, "{\"event\": \"GUEST_PANICKED\", \"data\": {\"action\": \"pause\"}, \"timestamp\": "
                        + "{\"seconds\": 1, \"microseconds\": 0}}\n");
                reply(out, command, "{\"status\": \"postmigrate\", \"running\": false}");
            } else {
                reply(out, command, "{}");
            }
        }, vm -> assertEquals(GuestState.PausedBy.GUEST_PANICKED, vm.observe(Long.MAX_VALUE).orElseThrow().pausedBy()));
    }

    /** After a switch-over QEMU's run state is {@code postmigrate}; its BLOCK_IO_ERROR since the guest last ran still tells. */
    @Test
    public void theIoErrorIsStillSeenOnceTheSwitchOverMadeItPostmigrate() throws Exception {
        withVm((command, out) -> {
            if (command.contains("query-status")) {
                FakeQmp.write(out, IO_ERROR);
                reply(out, command, "{\"status\": \"postmigrate\", \"running\": false}");
            } else {
                reply(out, command, "{}");
            }
        }, vm -> assertEquals(GuestState.PausedBy.IO_ERROR, vm.observe(Long.MAX_VALUE).orElseThrow().pausedBy()));
    }

    /**
     * A daemon restarted since the switch-over has none of the events: the disks' I/O status, which QEMU keeps until a
     * {@code cont}, still tells (as libvirt, restarted, shows paused (I/O error) from the status it saved). It showed
     * paused (unknown).
     */
    @Test
    public void theIoErrorIsStillSeenOncePostmigrateAfterARestartFromTheDisksIoStatus() throws Exception {
        for (String ioStatus : List.of("failed", "nospace", "ok")) {
            withVm((command, out) -> reply(out, command, command.contains("query-status")
                    ? "{\"status\": \"postmigrate\", \"running\": false}" : command.contains("query-block")
                    ? "[{\"device\": \"\", \"qdev\": \"vda\", \"io-status\": \"" + ioStatus + "\"}]" : "{}"), vm -> {
                GuestState.Observed now = vm.observe(Long.MAX_VALUE).orElseThrow();
                assertFalse(now.running());
                assertEquals(ioStatus, ioStatus.equals("ok") ? null : GuestState.PausedBy.IO_ERROR, now.pausedBy());
            });
        }
    }

    /** Whether a postmigrate guest runs is its run state alone: the engine asks that often, the disks are not asked. */
    @Test
    public void whetherAGuestRunsDoesNotAskItsDisks() throws Exception {
        withVm((command, out) -> reply(out, command, command.contains("query-status")
                ? "{\"status\": \"postmigrate\", \"running\": false}" : "{}"), vm -> {
            assertFalse(vm.isRunning());
            assertEquals(List.of("query-status"), sent);
        });
    }

    /**
     * The guest ran when its migration began, then a write failed (werror=stop): QEMU paused it. A migration that fails
     * then must not {@code cont} it (the old code did: it ran before the migration), as libvirt's operator sees it paused
     * (I/O error) until they resume it.
     */
    @Test
    public void aFailedMigrationDoesNotResumeAGuestQemuPausedForAnIoErrorMeanwhile() throws Exception {
        boolean[] failed = {false};
        withVm((command, out) -> {
            if (command.contains("query-status")) {
                reply(out, command, failed[0] ? "{\"status\": \"io-error\", \"running\": false}"
                        : "{\"status\": \"running\", \"running\": true}");
            } else if (command.contains("query-migrate")) {
                FakeQmp.write(out, IO_ERROR);
                failed[0] = true;
                reply(out, command, "{\"status\": \"failed\", \"error-desc\": \"Unable to write to socket: Broken pipe\"}");
            } else {
                reply(out, command, "{}");
            }
        }, vm -> {
            HypervisorException e = assertThrows(HypervisorException.class,
                    () -> vm.sendMemory("tcp:127.0.0.1:1", new Guests.Control()));
            assertTrue(e.getMessage(), e.getMessage().contains("Broken pipe"));
            assertFalse("commands sent: " + sent, sent.contains("cont"));
            assertEquals(GuestState.PausedBy.IO_ERROR, vm.observe(Long.MAX_VALUE).orElseThrow().pausedBy());
        });
    }

    /** A guest that QEMU paused for an error and that ran again since ({@code RESUME}) is no longer paused by it. */
    @Test
    public void aGuestThatRanSinceItsIoErrorIsNoLongerPausedByIt() throws Exception {
        withVm((command, out) -> {
            if (command.contains("query-status")) {
                FakeQmp.write(out, IO_ERROR + "{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 2, \"microseconds\": 0}}\n"
                        + "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 3, \"microseconds\": 0}}\n");
                reply(out, command, "{\"status\": \"paused\", \"running\": false}");
            } else {
                reply(out, command, "{}");
            }
        }, vm -> assertEquals(null, vm.observe(Long.MAX_VALUE).orElseThrow().pausedBy()));
    }

    /**
     * A {@code cont} QEMU answers after the command timeout (it runs it when it gets to it): the resume fails, and the
     * guest runs all the same, which the driver says when asked next (the core then records it running, LateResumeTest).
     */
    @Test
    public void aContAnsweredAfterItsTimeoutLeavesTheGuestSeenRunning() throws Exception {
        String[] unanswered = {null};
        commandTimeoutMillis = 200;
        withVm((command, out) -> {
            if (command.contains("\"cont\"")) {
                unanswered[0] = FakeQmp.id(command); // answered only with the next command: after its timeout
            } else if (command.contains("query-status")) {
                if (unanswered[0] != null) {
                    FakeQmp.write(out, "{\"return\": {}, \"id\": \"" + unanswered[0] + "\"}\n"
                            + "{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 2, \"microseconds\": 0}}\n");
                }
                reply(out, command, unanswered[0] != null ? "{\"status\": \"running\", \"running\": true}"
                        : "{\"status\": \"paused\", \"running\": false}");
            } else {
                reply(out, command, "{}");
            }
        }, vm -> {
            assertThrows(IllegalStateException.class, vm::resume);
            GuestState.Observed now = vm.observe(Long.MAX_VALUE).orElseThrow();
            assertTrue(now.running());
            assertEquals(null, now.pausedBy());
        });
    }

    /**
     * Showing a domain asks QEMU briefly (ferry list asks each domain's QEMU in turn): an answer that comes later than
     * the caller's bound is not waited for, even with a long command timeout. The old code waited the command timeout,
     * and so took this late answer.
     */
    @Test
    public void anObservationWaitsNoLongerThanItsCallerAsks() throws Exception {
        commandTimeoutMillis = 60_000;
        withVm((command, out) -> {
            if (command.contains("query-status")) {
                try {
                    Thread.sleep(5_000); // a QEMU stuck for a while, far beyond the bound asked for
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            reply(out, command, "{\"status\": \"running\", \"running\": true}");
        }, vm -> assertTrue("the late answer was waited for", vm.observe(100).isEmpty()));
    }

    private void reply(OutputStream out, String command, String value) {
        sent.add(FakeQmp.command(command));
        FakeQmp.write(out, "{\"return\": " + value + ", \"id\": \"" + FakeQmp.id(command) + "\"}\n");
    }

    interface VmCheck {
        void check(QemuVirtualMachine vm) throws Exception;
    }

    private void withVm(BiConsumer<String, OutputStream> qemuAnswers, VmCheck check) throws Exception {
        DomainSpec spec = Guests.spec("paused-by-qemu", 32, "0");
        RunFiles files = new RunFiles(tmp.newFolder().toPath());
        files.prepare(null);
        Path state = tmp.newFolder().toPath();
        QemuSettings settings = new QemuSettings(QemuSettings.DEFAULT_EMULATOR, 49152, 49215, 30_000, 1000,
                commandTimeoutMillis, state.resolve("qemu"), null);
        QemuProcess process = QemuProcess.start(List.of("sleep", "600"), tmp.getRoot().toPath().resolve("vm.log"));
        try (FakeQmp qemu = new FakeQmp(files.qmp(), qemuAnswers);
                Qmp qmp = Qmp.connect(files.qmp(), 10_000, () -> true, () -> "")) {
            check.check(Guests.vm(spec, files, process, qmp, settings, () -> { }));
        } finally {
            process.kill();
        }
    }
}
