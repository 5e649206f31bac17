package io.ferry.api.hypervisor;

import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * The guest's run state as its hypervisor has it now, for a VM whose hypervisor may pause the guest by itself (QEMU:
 * a disk whose error policy stops the guest, a panic whose action pauses it) or whose pause and resume may take
 * effect after their call failed (a command whose reply timed out): a capability, looked up with
 * {@link VirtualMachine#capability}. A VM without it is in the state its core last recorded.
 *
 * @since 1.7
 */
@ConsumerType
public interface GuestState {
    /** Why a hypervisor paused a guest by itself; libvirt's paused reasons {@code I/O error} and {@code crashed}. */
    enum PausedBy {
        /** A disk's I/O failed and its error policy stops the guest (QEMU's {@code io-error}). */
        IO_ERROR,
        /** The guest panicked and the panic action pauses it (QEMU's {@code guest-panicked}). */
        GUEST_PANICKED
    }

    /**
     * What the hypervisor says now; empty when it does not answer within {@code timeoutMillis} (at most the driver's
     * command timeout: {@link Long#MAX_VALUE} asks for that). Showing a domain asks briefly, so that a hung hypervisor
     * does not hold {@code ferry list} for the command timeout of each of its domains.
     */
    Optional<Observed> observe(long timeoutMillis);

    /**
     * @param running whether the guest's CPUs run
     * @param pausedBy why the hypervisor paused the guest by itself, if it did and the guest has not run since (a
     *        migration's switch-over since does not change it); null otherwise
     */
    record Observed(boolean running, PausedBy pausedBy) {
        public Optional<PausedBy> pausedByHypervisor() {
            return Optional.ofNullable(pausedBy);
        }
    }
}
