package io.ferry.core.domain;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.VirtualMachine;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One domain of this host: its persistent definition (null when transient), the definition it runs (null when
 * shut off), its VM and state. The UUID is null only for an unreadable domain whose files do not tell it. Every change of state happens under {@link #lock}, held for the length of a
 * job (a start, a migration), as libvirt's job lock.
 */
public final class Domain {
    final ReentrantLock lock = new ReentrantLock();
    private final String name;
    private final UUID uuid;
    private volatile DomainSpec persistent;
    private volatile DomainSpec live;
    private volatile VirtualMachine vm;
    private volatile DomainState state = DomainState.SHUTOFF;
    private volatile DomainState.Reason reason = DomainState.Reason.UNKNOWN;
    private volatile String job = "";
    private volatile String migration;
    private volatile String problem;

    Domain(String name, UUID uuid) {
        this.name = name;
        this.uuid = uuid;
    }

    public String name() {
        return name;
    }

    public UUID uuid() {
        return uuid;
    }

    public DomainSpec persistent() {
        return persistent;
    }

    public DomainSpec live() {
        return live;
    }

    /** The definition that describes the domain now: the live one while active. */
    public DomainSpec current() {
        return live != null ? live : persistent;
    }

    public VirtualMachine vm() {
        return vm;
    }

    public DomainState state() {
        return state;
    }

    public DomainState.Reason reason() {
        return reason;
    }

    public boolean isActive() {
        return state != DomainState.SHUTOFF;
    }

    /** The running job's description ("migration out"), empty when none. */
    public String job() {
        return job;
    }

    void persistent(DomainSpec spec) {
        this.persistent = spec;
    }

    void live(DomainSpec spec, VirtualMachine machine) {
        this.live = spec;
        this.vm = machine;
    }

    void state(DomainState newState, DomainState.Reason newReason) {
        this.state = newState;
        this.reason = newReason;
    }

    void job(String description) {
        this.job = description;
    }

    /** Why the domain is {@link DomainState#UNREADABLE}: the file and the error; null otherwise. */
    public String problem() {
        return problem;
    }

    /** Marks the domain unreadable for good (until a restart finds its files readable). */
    void unreadable(String why) {
        this.problem = why;
        state(DomainState.UNREADABLE, DomainState.Reason.UNKNOWN);
    }

    /** The id of the migration that owns this domain from Begin/Prepare to Confirm/Finish, or null. */
    public String migration() {
        return migration;
    }

    void migration(String id) {
        this.migration = id;
    }
}
