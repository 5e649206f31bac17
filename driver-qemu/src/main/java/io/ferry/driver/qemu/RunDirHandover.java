package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.VmNotStoppedException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A VM's run directory passes from one QEMU of it to the next only once the earlier one has ended. The QEMU of a guest
 * that migrated away ends on its own time ({@link QemuQuit}: Confirm does not wait for it), and on its way out unlinks
 * its pidfile and QMP socket by their paths: a guest back at once would lose its own to it, and the next restart of the
 * daemon could not re-attach it.
 */
final class RunDirHandover {
    private static final Logger LOG = LoggerFactory.getLogger(QemuDriver.class);

    private RunDirHandover() {
    }

    /** Waits up to {@code millis} for {@code earlier} (this daemon's VM of the directory, if any) to be let go. */
    static void awaitEarlier(QemuVirtualMachine earlier, DomainSpec spec, Path runDir, long millis)
            throws HypervisorException {
        if (earlier == null) {
            return;
        }
        try {
            if (!earlier.awaitReleased(millis)) {
                throw new HypervisorException("domain '" + spec.name() + "': the QEMU of its earlier run in "
                        + runDir + " (pid " + earlier.process().pid() + ") has not ended yet");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HypervisorException("interrupted while the earlier QEMU of domain '" + spec.name() + "' ended", e);
        }
    }

    /**
     * A QEMU of this VM's run directory that this daemon does not drive: the QEMU of a guest that migrated away, still
     * ending when the daemon restarted, or one of the guest that runs while the daemon took it for stopped (a second
     * would run the guest twice). It is the process the daemon's record names, alive with its recorded start time
     * ({@link StartRecord}), whatever its command line: another process's copy of the VM's command line holds no start;
     * in a directory without a record, any process with the VM's command line. It is given {@code millis} to end; still
     * there, the start is refused naming it.
     *
     * @throws VmNotStoppedException that QEMU still runs: the core keeps the leases and run files that guard it
     */
    static void awaitUnknown(DomainSpec spec, RunFiles files, long millis) throws HypervisorException {
        Optional<StartRecord> recorded = StartRecord.read(files);
        Optional<ProcessHandle> running = recorded.isPresent() ? recorded.get().running()
                : QemuPidfile.runningWith(files.pidfile(), spec.uuid().toString());
        if (running.isEmpty()) {
            return;
        }
        long pid = running.get().pid();
        LOG.info("QEMU process {} of domain '{}' still runs in {}, unknown to this daemon: waiting for it to end",
                pid, spec.name(), files.dir());
        try {
            running.get().onExit().get(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HypervisorException("interrupted while QEMU process " + pid + " of domain '" + spec.name()
                    + "' ended", e);
        } catch (ExecutionException | TimeoutException e) {
            String which = recorded.isPresent() ? " that " + files.started() + " records still runs"
                    : " still runs with this domain's command line (-uuid " + spec.uuid() + ", -pidfile "
                            + files.pidfile() + ")";
            throw new VmNotStoppedException("QEMU process " + pid + which + ", not driven by this daemon: stop it"
                    + " first");
        }
    }
}
