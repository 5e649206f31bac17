package io.ferry.core.domain;

import io.ferry.api.hypervisor.GuestState;
import io.ferry.api.hypervisor.VirtualMachine;
import java.util.Optional;

/**
 * The state {@code ferry list} and {@code dominfo} show: the recorded one, unless the VM's hypervisor says otherwise
 * now ({@link GuestState}). A QEMU pauses a guest by itself (a disk whose error policy stops it, a panic), and a pause
 * or resume whose reply timed out may take effect later; the record, written by the daemon's own jobs, knows neither,
 * and showed such a guest running (or paused while it ran). libvirt learns both from QEMU's events; Ferry asks QEMU
 * when it shows the domain. A VM that does not answer, or offers no {@link GuestState}, shows its record. A VM whose
 * process ended on its own shows shut off (shutdown or crashed) at once, as libvirt's does, while its domain's record
 * waits for the migration that holds it: listed running, a guest that runs nowhere any more could pass for one that
 * runs on two hosts.
 */
public record ShownState(DomainState state, DomainState.Reason reason) {
    /**
     * How long showing a domain waits for its hypervisor's word: a hung QEMU (stopped, or stuck on its storage) answers
     * nothing, and {@code ferry list} asks each domain's in turn; it then shows the record.
     */
    static final long ASK_MILLIS = 1_000;

    public static ShownState of(Domain domain) {
        Optional<DomainState.Reason> ended = domain.vmEnded();
        if (ended.isPresent()) { // its record waits for the migration that holds the domain: the VM is gone now
            return new ShownState(DomainState.SHUTOFF, ended.get());
        }
        ShownState recorded = new ShownState(domain.state(), domain.reason());
        VirtualMachine vm = domain.vm();
        if (vm == null || recorded.state != DomainState.RUNNING && recorded.state != DomainState.PAUSED) {
            return recorded;
        }
        Optional<GuestState.Observed> now = vm.capability(GuestState.class).flatMap(guest -> guest.observe(ASK_MILLIS));
        if (now.isEmpty()) {
            return recorded;
        }
        Optional<DomainState.Reason> pausedBy = now.get().pausedByHypervisor().map(ShownState::reason);
        if (pausedBy.isPresent()) {
            return new ShownState(DomainState.PAUSED, pausedBy.get());
        }
        if (now.get().running() != (recorded.state == DomainState.RUNNING)) {
            DomainState state = now.get().running() ? DomainState.RUNNING : DomainState.PAUSED;
            return new ShownState(state, DomainState.Reason.UNKNOWN);
        }
        return recorded;
    }

    /** What paused the guest of {@code vm} by itself, as its hypervisor says now; empty if nothing did or it cannot say. */
    public static Optional<GuestState.PausedBy> pausedByHypervisor(VirtualMachine vm) {
        return vm.capability(GuestState.class).flatMap(guest -> guest.observe(Long.MAX_VALUE))
                .flatMap(GuestState.Observed::pausedByHypervisor);
    }

    /** libvirt's paused reason for what paused the guest: {@code I/O error}, {@code crashed}. */
    public static DomainState.Reason reason(GuestState.PausedBy pausedBy) {
        return pausedBy == GuestState.PausedBy.IO_ERROR ? DomainState.Reason.IOERROR : DomainState.Reason.CRASHED;
    }
}
