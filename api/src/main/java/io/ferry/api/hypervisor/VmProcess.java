package io.ferry.api.hypervisor;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A VM that lives in a process of its own, which can end or stop answering without the core asking (killed by
 * the OOM killer, crashed, stopped): a capability, looked up with {@link VirtualMachine#capability}. A VM without
 * it (the embedded hypervisor's, which lives in the daemon) never goes on its own.
 *
 * @since 1.3
 */
@ConsumerType
public interface VmProcess {
    /**
     * Whether the process is there and answers its hypervisor's commands now; asked by a destination as the last
     * thing before it commits to the VM (libvirt fails Finish for a guest that quit). Bounded by the driver's
     * command timeout.
     */
    boolean responds();

    /**
     * Runs {@code action} once, on a thread of the driver's, when the process ends without {@link VirtualMachine#destroy}
     * (at once if it has ended already); not after {@code destroy}. A later call replaces the action of an earlier one
     * that has not run: each core that re-attaches to a running VM (its bundle restarted or updated) gives its own, and
     * the driver must not keep the earlier cores' (and their class loaders) until the VM ends.
     */
    void onExit(Runnable action);

    /**
     * Once the process ended on its own ({@link #onExit}'s action runs): whether it shut down as asked (the guest
     * powered itself off, or its hypervisor was told to quit or signalled to end) rather than crashed or was killed.
     * libvirt shows the first {@code shut off (shutdown)} and the second {@code shut off (crashed)}; a driver that
     * cannot tell says false.
     *
     * @since 1.4
     */
    default boolean shutDown() {
        return false;
    }
}
