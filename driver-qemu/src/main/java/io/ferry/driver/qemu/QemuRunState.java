package io.ferry.driver.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.api.hypervisor.GuestState;
import io.ferry.api.hypervisor.HypervisorException;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * A QEMU's run state, as {@link QemuVirtualMachine} answers for it: QEMU's own ({@code query-status}), never a copy,
 * and why QEMU paused the guest by itself ({@link SelfPause}). Nothing once the VM is destroyed or its process gone.
 */
final class QemuRunState {
    private final Qmp qmp;
    private final QemuProcess process;
    private final QemuSettings settings;
    private final BooleanSupplier destroyed;
    private final SelfPause selfPause = new SelfPause();

    QemuRunState(Qmp qmp, QemuProcess process, QemuSettings settings, BooleanSupplier destroyed) {
        this.qmp = qmp;
        this.process = process;
        this.settings = settings;
        this.destroyed = destroyed;
    }

    /**
     * QEMU's run state: true only while its vCPUs run ({@code query-status}); false once QEMU is gone. Read as
     * {@link #observe} reads it, without asking the disks why a guest is paused: only whether it runs is wanted here.
     */
    boolean isRunning() {
        return answeredStatus(settings.commandTimeoutMillis())
                .map(status -> selfPause.observed(status, qmp.events(), () -> false).running()).orElse(false);
    }

    /** Whether QEMU answers {@code query-status} within the command timeout. */
    boolean responds() {
        return answeredStatus(settings.commandTimeoutMillis()).isPresent();
    }

    /** QEMU's run state, and whether QEMU paused the guest by itself ({@link SelfPause}). */
    Optional<GuestState.Observed> observe(long timeoutMillis) {
        long limit = Math.min(timeoutMillis, settings.commandTimeoutMillis());
        return answeredStatus(limit)
                .map(status -> selfPause.observed(status, qmp.events(), () -> SelfPause.aDiskFailed(qmp, limit)));
    }

    /** QEMU's {@code query-status} answer; empty once it is gone or when it does not answer within the time given. */
    private Optional<JsonNode> answeredStatus(long timeoutMillis) {
        if (destroyed.getAsBoolean() || !process.isAlive()) {
            return Optional.empty();
        }
        try {
            return Optional.of(qmp.execute("query-status", null, timeoutMillis));
        } catch (HypervisorException e) {
            return Optional.empty();
        }
    }
}
