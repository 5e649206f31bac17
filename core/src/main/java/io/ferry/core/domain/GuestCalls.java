package io.ferry.core.domain;

import io.ferry.api.hypervisor.GuestState;
import io.ferry.api.hypervisor.VirtualMachine;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pause or resume whose call failed may have taken effect all the same: QEMU runs a {@code stop} or {@code cont}
 * whose reply timed out when it gets to it. Before a failed call is taken for a guest left as it was, the VM is asked
 * whether it runs: it is as asked (the call succeeded late), it is not (the failure stands), or it does not answer, and
 * then nobody here can say: {@link Unanswered} says so, naming the domain, where the caller said it stayed as it was.
 */
public final class GuestCalls {
    private static final Logger LOG = LoggerFactory.getLogger(GuestCalls.class);

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

    private GuestCalls() {
    }

    /**
     * Resumes the domain's VM; returns normally if it runs, whether or not its resume call failed.
     *
     * @throws RuntimeException the resume's failure, when the VM answers that it does not run
     * @throws Unanswered when it does not answer
     */
    public static void resume(Domain domain) throws Unanswered {
        VirtualMachine vm = domain.vm();
        try {
            vm.resume();
        } catch (RuntimeException e) {
            requireRunning(domain, vm, true, "resume", "run", e);
        }
    }

    /** Pauses the domain's VM; as {@link #resume}, for a VM that answers it is paused after its pause call failed. */
    static void pause(Domain domain) throws Unanswered {
        VirtualMachine vm = domain.vm();
        try {
            vm.pause();
        } catch (RuntimeException e) {
            requireRunning(domain, vm, false, "pause", "be paused", e);
        }
    }

    private static void requireRunning(Domain domain, VirtualMachine vm, boolean running, String call, String then,
            RuntimeException failure) throws Unanswered {
        Optional<GuestState> guest = vm.capability(GuestState.class);
        Optional<Boolean> runs = guest.isPresent() ? guest.get().observe(Long.MAX_VALUE).map(GuestState.Observed::running)
                : Optional.of(vm.isRunning());
        if (runs.isEmpty()) {
            throw new Unanswered(domain.name(), call, then, failure);
        }
        if (runs.get() != running) {
            throw failure;
        }
        LOG.warn("domain {}: its {} failed ({}), but took effect", domain.name(), call, failure.getMessage());
    }
}
