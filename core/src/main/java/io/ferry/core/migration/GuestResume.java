package io.ferry.core.migration;

import io.ferry.api.hypervisor.GuestState;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.core.domain.Domain;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A resume whose call failed may have taken effect all the same: QEMU runs a {@code cont} whose reply timed out when it
 * gets to it. Before a failed resume is taken for a guest that stays paused, the VM is asked whether it runs: it does
 * (the resume succeeded late), it does not (the failure stands), or it does not answer, and then nobody here can say:
 * {@link Unanswered} says so, naming the domain, where the caller said "it stays paused".
 */
final class GuestResume {
    private static final Logger LOG = LoggerFactory.getLogger(GuestResume.class);

    /** The hypervisor answered neither the resume nor whether the guest runs since: it may run. */
    static final class Unanswered extends MigrationException {
        private static final long serialVersionUID = 1L;

        Unanswered(String domain, RuntimeException failure) {
            super("the hypervisor of domain " + domain + " did not answer its resume (" + failure.getMessage() + "), nor"
                    + " since whether it runs: " + domain + " may run, or run once its hypervisor gets to the resume;"
                    + " ferry dominfo " + domain + " shows its state as the hypervisor has it once it answers", failure);
        }
    }

    private GuestResume() {
    }

    /**
     * Resumes the domain's VM; returns normally if it runs, whether or not its resume call failed.
     *
     * @throws RuntimeException the resume's failure, when the VM answers that it does not run
     * @throws Unanswered when it does not answer
     */
    static void resume(Domain domain) throws Unanswered {
        VirtualMachine vm = domain.vm();
        try {
            vm.resume();
        } catch (RuntimeException e) {
            Optional<GuestState> guest = vm.capability(GuestState.class);
            Optional<Boolean> runs = guest.isPresent() ? guest.get().observe().map(GuestState.Observed::running)
                    : Optional.of(vm.isRunning());
            if (runs.isEmpty()) {
                throw new Unanswered(domain.name(), e);
            }
            if (!runs.get()) {
                throw e;
            }
            LOG.warn("domain {}: its resume failed ({}), but took effect: it runs", domain.name(), e.getMessage());
        }
    }
}
