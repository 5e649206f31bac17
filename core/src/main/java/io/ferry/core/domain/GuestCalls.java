package io.ferry.core.domain;

import io.ferry.api.hypervisor.GuestState;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.api.hypervisor.VmProcess;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pause or resume whose call failed may have taken effect all the same: QEMU runs a {@code stop} or {@code cont}
 * whose reply timed out when it gets to it. Before a failed call is taken for a guest left as it was, the VM is asked
 * whether it runs: it is as asked (the call succeeded late), it is not (the failure stands), or it does not answer, and
 * then nobody here can say: {@link Unanswered} says so, naming the domain, where the caller said it stayed as it was.
 * Unless its process has ended (the guest powered off, QEMU was killed): then nothing runs or will, and
 * {@link NotRunning} says what happened, as virsh's "domain is not running", where it said the domain "may run".
 */
public final class GuestCalls {
    private static final Logger LOG = LoggerFactory.getLogger(GuestCalls.class);
    /**
     * How long an unanswered call waits for the notice that the VM's process ended ({@link VmProcess#onExit}): a QEMU
     * closes its monitor as it exits, and the notice follows once the process is reaped.
     */
    static final long EXIT_NOTICE_MILLIS = 1_000;

    /** The hypervisor answered neither the call nor whether the guest runs since. */
    public static final class Unanswered extends DomainException {
        private static final long serialVersionUID = 1L;

        Unanswered(String domain, String call, String then, RuntimeException failure) {
            super("the hypervisor of domain " + domain + " did not answer its " + call + " (" + failure.getMessage()
                    + "), nor since whether it runs: " + domain + " may " + then + ", or " + then + " once its hypervisor"
                    + " gets to the " + call + "; ferry dominfo " + domain + " shows its state as the hypervisor has it"
                    + " once it answers", failure);
        }
    }

    /** The VM's process ended on its own: the guest runs nowhere, and no call can make it. */
    public static final class NotRunning extends DomainException {
        private static final long serialVersionUID = 1L;
        private final String what;

        NotRunning(String domain, DomainState.Reason ended, Exception failure) {
            this(domain, ended == DomainState.Reason.SHUTDOWN
                    ? "its guest shut down (it powered off, or its hypervisor was told to quit)" // nothing more to tell
                    : "its VM's process ended (killed or crashed)"
                            + (failure == null ? "" : " (" + failure.getMessage() + ")"), failure);
        }

        private NotRunning(String domain, String what, Exception failure) {
            super("Requested operation is not valid: domain " + domain + " is not running: " + what, failure);
            this.what = what;
        }

        /** What became of the VM, without the domain's name: "its guest shut down (...)". */
        public String what() {
            return what;
        }
    }

    private GuestCalls() {
    }

    /** Refuses a call on a domain whose VM's process ended on its own (not shut off yet: a migration holds it). */
    public static void requireNotEnded(Domain domain) throws NotRunning {
        Optional<DomainState.Reason> ended = domain.vmEnded();
        if (ended.isPresent()) {
            throw new NotRunning(domain.name(), ended.get(), null);
        }
    }

    /**
     * Resumes the domain's VM; returns normally if it runs, whether or not its resume call failed.
     *
     * @throws RuntimeException the resume's failure, when the VM answers that it does not run
     * @throws Unanswered when it does not answer
     * @throws NotRunning when its process has ended
     */
    public static void resume(Domain domain) throws Unanswered, NotRunning {
        VirtualMachine vm = domain.vm();
        try {
            vm.resume();
        } catch (RuntimeException e) {
            requireRunning(domain, vm, true, "resume", "run", e);
        }
    }

    /** Pauses the domain's VM; as {@link #resume}, for a VM that answers it is paused after its pause call failed. */
    static void pause(Domain domain) throws Unanswered, NotRunning {
        VirtualMachine vm = domain.vm();
        try {
            vm.pause();
        } catch (RuntimeException e) {
            requireRunning(domain, vm, false, "pause", "be paused", e);
        }
    }

    /**
     * Whether the guest of {@code vm} runs, as its hypervisor says now; empty when it does not answer within its
     * command timeout (a QEMU busy or hung, or gone), which {@link VirtualMachine#isRunning} says as it says a paused
     * guest: false. A VM without {@link GuestState} answers by {@code isRunning}.
     */
    public static Optional<Boolean> runs(VirtualMachine vm) {
        Optional<GuestState> guest = vm.capability(GuestState.class);
        return guest.isPresent() ? guest.get().observe(Long.MAX_VALUE).map(GuestState.Observed::running)
                : Optional.of(vm.isRunning());
    }

    /**
     * Whether the guest of the domain's VM runs, for a call that acts on the answer: a guest taken for paused while its
     * hypervisor did not answer was left running by a suspend ("paused already"), and migrated paused for good.
     *
     * @throws DomainException when its hypervisor does not answer, or its VM ended ({@link NotRunning})
     */
    public static boolean runsOrRefuse(Domain domain) throws DomainException {
        Optional<Boolean> runs = runs(domain.vm());
        if (runs.isEmpty()) {
            requireNotEndedSince(domain, domain.vm(), null);
            throw new DomainException("the hypervisor of domain " + domain.name() + " does not answer whether its"
                    + " guest runs (its QEMU is busy or hung): nothing was changed; try again");
        }
        return runs.get();
    }

    private static void requireRunning(Domain domain, VirtualMachine vm, boolean running, String call, String then,
            RuntimeException failure) throws Unanswered, NotRunning {
        Optional<Boolean> runs = runs(vm);
        if (runs.isEmpty()) {
            requireNotEndedSince(domain, vm, failure);
            throw new Unanswered(domain.name(), call, then, failure);
        }
        if (runs.get() != running) {
            throw failure;
        }
        LOG.warn("domain {}: its {} failed ({}), but took effect", domain.name(), call, failure.getMessage());
    }

    /** A VM that does not answer whether it runs may have ended: its process's end is waited for a moment, and told. */
    private static void requireNotEndedSince(Domain domain, VirtualMachine vm, Exception failure) throws NotRunning {
        Optional<DomainState.Reason> ended = vm.capability(VmProcess.class).isPresent()
                ? domain.awaitVmEnded(EXIT_NOTICE_MILLIS) : Optional.empty();
        if (ended.isPresent()) {
            throw new NotRunning(domain.name(), ended.get(), failure);
        }
    }
}
