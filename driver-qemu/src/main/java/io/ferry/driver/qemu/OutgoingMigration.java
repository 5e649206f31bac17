package io.ferry.driver.qemu;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ferry.api.hypervisor.GuestState;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.MigrationControl;
import io.ferry.api.hypervisor.MigrationStats;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source's migration job, as libvirt runs it: {@code migrate-set-capabilities} (events),
 * {@code migrate-set-parameters} ({@code max-bandwidth}, {@code downtime-limit}, applied again whenever the
 * control's values change), {@code migrate}, then progress from {@code query-migrate} (woken by MIGRATION and
 * MIGRATION_PASS events) until QEMU reports it completed, the VM paused (its run state may still be
 * {@code finish-migrate} for a moment before {@code postmigrate}). An abort or a stall of the transferred bytes
 * longer than the progress timeout cancels ({@code migrate_cancel}), and so does any other failure (a QMP command
 * that timed out): a migration left to run would pause the guest whenever it converged, after the core had rolled
 * back. Then the VM runs again if it ran before.
 */
final class OutgoingMigration {
    private static final Logger LOG = LoggerFactory.getLogger(OutgoingMigration.class);
    static final long POLL_MILLIS = 50;
    /** QEMU's largest downtime-limit, in ms. */
    private static final long MAX_DOWNTIME_MILLIS = 2_000_000;
    private static final long CANCEL_WAIT_MILLIS = 10_000;

    private final QemuVirtualMachine vm;
    private final MigrationControl control;
    private final QemuSettings settings;
    private long appliedBandwidth = -1;
    private long appliedDowntime = -1;

    OutgoingMigration(QemuVirtualMachine vm, MigrationControl control, QemuSettings settings) {
        this.vm = vm;
        this.control = control;
        this.settings = settings;
    }

    /** Migrates to {@code uri}; with a pump, the bytes go through it, and the job ends when it has copied them. */
    MigrationStats run(String uri, OutgoingPump pump) throws HypervisorException {
        boolean wasRunning = vm.isRunning();
        long start = System.nanoTime();
        try {
            Qmp qmp = vm.qmp();
            vm.execute("migrate-set-capabilities", eventsCapability());
            applyParameters();
            vm.execute("migrate", Qmp.JSON.createObjectNode().put("uri", uri));
            long progress = -1;
            long progressAt = System.nanoTime();
            while (true) {
                qmp.awaitEvent(e -> e.path("event").asText().startsWith("MIGRATION"), POLL_MILLIS);
                if (control.aborted()) {
                    throw cancel("migration aborted by user");
                }
                applyParameters();
                MigrationInfo info = MigrationInfo.of(vm.execute("query-migrate", null));
                MigrationStats stats = info.stats(millis(System.nanoTime() - start), vm.memoryBytes());
                if (info.status().equals("failed") || info.status().equals("cancelled")) {
                    Throwable pumped = pump == null ? null : pump.failure();
                    throw new HypervisorException("migration of domain '" + vm.spec().name() + "' failed: "
                            + (pumped != null ? "the migration stream failed: " + pumped.getMessage() : info.error()));
                }
                long moved = info.transferred() + (pump == null ? 0 : pump.bytes());
                if (moved > progress) {
                    progress = moved;
                    progressAt = System.nanoTime();
                } else if (millis(System.nanoTime() - progressAt) >= settings.progressTimeoutMillis()) {
                    throw cancel("migration of domain '" + vm.spec().name() + "' made no progress for "
                            + settings.progressTimeoutMillis() / 1000.0 + " s (transferred " + info.transferred()
                            + " bytes): cancelled");
                }
                if (info.status().equals("completed")) {
                    if (pump == null || pump.awaitFinished(POLL_MILLIS)) {
                        control.progress(stats);
                        return stats;
                    }
                    if (pump.failed()) { // QEMU is done, its bytes did not all go: nothing more will come
                        throw new HypervisorException("migration of domain '" + vm.spec().name()
                                + "' failed: the migration stream failed after QEMU completed: " + describe(pump.failure()));
                    }
                }
                control.progress(stats);
            }
        } catch (HypervisorException | RuntimeException e) {
            cancelQuietly(e);
            restore(wasRunning, e);
            if (e instanceof GuestShutDown || GuestShutDown.happened(vm.spec().name(), vm.process(), vm.qmp())) {
                // libvirt's "domain is not running": not a QEMU that crashed, nor a stream that broke by itself
                throw new HypervisorException("migration of domain '" + vm.spec().name() + "' failed: domain is not"
                        + " running: its guest shut down during the migration (it powered off, or QEMU was told to"
                        + " quit), and QEMU exited (" + (e instanceof GuestShutDown s ? s.exited() : e.getMessage())
                        + ")", e);
            }
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            HypervisorException failure = new HypervisorException("migration of domain '" + vm.spec().name()
                    + "' interrupted", e);
            cancelQuietly(failure);
            restore(wasRunning, failure);
            throw failure;
        }
    }

    static ObjectNode eventsCapability() {
        ObjectNode arguments = Qmp.JSON.createObjectNode();
        arguments.putArray("capabilities").addObject().put("capability", "events").put("state", true);
        return arguments;
    }

    /** Sends the control's bandwidth cap and downtime limit to QEMU when they differ from what it has. */
    private void applyParameters() throws HypervisorException {
        long bandwidth = control.maxBandwidth() <= 0 ? Long.MAX_VALUE : control.maxBandwidth();
        long downtime = Math.max(0, Math.min(MAX_DOWNTIME_MILLIS, control.maxDowntimeMillis()));
        if (bandwidth == appliedBandwidth && downtime == appliedDowntime) {
            return;
        }
        vm.execute("migrate-set-parameters", Qmp.JSON.createObjectNode().put("max-bandwidth", bandwidth)
                .put("downtime-limit", downtime));
        appliedBandwidth = bandwidth;
        appliedDowntime = downtime;
    }

    /** {@code migrate_cancel}, then waits (bounded) for QEMU to settle; returns the error to throw. */
    private HypervisorException cancel(String why) throws HypervisorException {
        LOG.info("domain '{}': {}", vm.spec().name(), why);
        cancel(vm);
        return new HypervisorException(why);
    }

    /**
     * After a failure: cancels what QEMU may still be migrating (nothing if it is over, or QEMU is gone). A failure
     * to cancel goes with the failure being thrown.
     */
    private void cancelQuietly(Exception failure) {
        try {
            cancel(vm);
        } catch (HypervisorException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /** {@code migrate_cancel}, then waits (bounded) until QEMU's migration is over (a no-op on one that is). */
    static void cancel(QemuVirtualMachine vm) throws HypervisorException {
        vm.execute("migrate_cancel", null);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CANCEL_WAIT_MILLIS);
        while (System.nanoTime() < deadline) {
            if (MigrationInfo.of(vm.execute("query-migrate", null)).isDone()) {
                break;
            }
            vm.qmp().awaitEvent(e -> e.path("event").asText().startsWith("MIGRATION"), POLL_MILLIS);
        }
    }

    /**
     * At re-attach: an outgoing migration QEMU still runs belongs to a daemon that died in Perform, whose reply (the
     * cookie a destination needs to commit) died with it. Nobody can commit it, and left running it would pause the
     * guest ({@code postmigrate}) whenever it converged, whatever recovery decided: cancelled before the core sees
     * the VM, as libvirt's qemuProcessRecoverMigrationOut does. A migration that completed is left as it is: the
     * core settles it. An incoming QEMU ({@code inmigrate}) has no outgoing migration.
     */
    static void cancelLeftOver(QemuVirtualMachine vm, String runState) throws HypervisorException {
        if (runState.equals("inmigrate")) {
            return;
        }
        MigrationInfo info = MigrationInfo.of(vm.execute("query-migrate", null));
        if (info.status().equals("none") || info.isDone()) {
            return;
        }
        LOG.warn("domain '{}': QEMU still migrates out ({}) for a daemon that is gone: cancelling it", vm.spec().name(),
                info.status());
        cancel(vm);
    }

    /**
     * After a failure: the VM runs again if it ran before (QEMU resumes it itself, except after completion), unless QEMU
     * paused it by itself meanwhile (a disk's I/O error): that pause is not the migration's to undo, and stays for its
     * operator, as QEMU leaves it when a migration fails before its completion.
     */
    private void restore(boolean wasRunning, Exception failure) {
        if (!wasRunning) {
            return;
        }
        try {
            Optional<GuestState.Observed> now = vm.observe(Long.MAX_VALUE);
            Optional<GuestState.PausedBy> pausedBy = now.flatMap(GuestState.Observed::pausedByHypervisor);
            if (pausedBy.isPresent()) {
                LOG.warn("domain '{}' stays paused: QEMU paused it by itself during its migration ({})", vm.spec().name(),
                        pausedBy.get());
            } else if (now.map(observed -> !observed.running()).orElse(true)) {
                vm.execute("cont", null);
            }
        } catch (HypervisorException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    private static String describe(Throwable failure) {
        return failure == null ? "it ended early" : failure.getMessage() == null ? failure.toString() : failure.getMessage();
    }

    static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
