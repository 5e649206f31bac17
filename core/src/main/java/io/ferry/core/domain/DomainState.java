package io.ferry.core.domain;

import java.util.Locale;

/** libvirt's domain states, with the reasons Ferry uses. */
public enum DomainState {
    RUNNING, PAUSED, SHUTOFF;

    /** As virsh prints it: "running", "paused", "shut off". */
    public String display() {
        return this == SHUTOFF ? "shut off" : name().toLowerCase(Locale.ROOT);
    }

    /** libvirt's reasons (virDomainRunningReason, virDomainPausedReason, virDomainShutoffReason). */
    public enum Reason {
        BOOTED, MIGRATED, UNPAUSED, MIGRATION_CANCELED, USER, MIGRATION, DESTROYED, SHUTDOWN, UNKNOWN;

        public String display() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
