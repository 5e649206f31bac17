package io.ferry.core.domain;

import java.util.Locale;

/**
 * libvirt's domain states, with the reasons Ferry uses, and one of Ferry's own: {@code UNREADABLE}, a domain whose
 * definition or status file the daemon could not read at start. Its VM may still exist, so it counts as active,
 * takes no job and keeps its files until an operator repairs or removes the file and restarts the daemon.
 */
public enum DomainState {
    RUNNING, PAUSED, SHUTOFF, UNREADABLE;

    /** As virsh prints it: "running", "paused", "shut off"; and "unreadable". */
    public String display() {
        return this == SHUTOFF ? "shut off" : name().toLowerCase(Locale.ROOT);
    }

    /** libvirt's reasons (virDomainRunningReason, virDomainPausedReason, virDomainShutoffReason). */
    public enum Reason {
        BOOTED, MIGRATED, UNPAUSED, MIGRATION_CANCELED, USER, MIGRATION, DESTROYED, SHUTDOWN, UNKNOWN,
        /**
         * Shut off: its VM's process ended without being asked (killed, crashed), as libvirt's "shut off (crashed)".
         * Paused: its hypervisor paused the guest for a panic, as libvirt's "paused (crashed)" ({@link ShownState}).
         */
        CRASHED,
        /**
         * Paused: its hypervisor paused the guest for a disk's I/O error, as libvirt's "paused (I/O error)". Shown from
         * the hypervisor's word ({@link ShownState}), never recorded: a status file records such a guest paused
         * (unknown), which a daemon of an earlier version reads too.
         */
        IOERROR;

        public String display() {
            return this == IOERROR ? "I/O error" : name().toLowerCase(Locale.ROOT);
        }
    }
}
