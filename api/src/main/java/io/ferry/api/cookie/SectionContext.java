package io.ferry.api.cookie;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.GraphicsConsole;
import io.ferry.api.hypervisor.VirtualMachine;
import java.util.Optional;
import java.util.UUID;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What the core tells a section about the bake or eat it is asked to do: who and where (the phase, the migration,
 * the domain, the hosts), a log, and the rest as capabilities ({@link #capability}). A context is valid for the
 * one call it is handed to.
 */
@ProviderType
public interface SectionContext {
    /** The phase being run on this host. */
    Phase phase();

    /** The migration's id, the tag of every log line about it. */
    String migrationId();

    /** The name of the migrating domain. */
    String domainName();

    /** The UUID of the migrating domain. */
    UUID domainUuid();

    /**
     * What this host offers the section for this call, by type; empty when it has no such thing here. What a section
     * needs of the VM or the host comes this way, each a narrow type, so that the api grows by new types and neither
     * this interface nor {@link VirtualMachine} (which every driver implements) gains a method. The core offers:
     * <table>
     * <caption>Capabilities</caption>
     * <tr><th>type</th><th>what</th><th>there</th></tr>
     * <tr><td>{@link DomainSpec}</td><td>the definition the migration carries (the destination's: renamed by
     * {@code --dname}, or the caller's {@code --xml})</td><td>in a migration; in {@code ferry cookie check} and
     * {@code bake} with {@code --domain-xml}</td></tr>
     * <tr><td>{@link VirtualMachine}</td><td>the domain's VM on this host, whose {@code spec()} is the running
     * definition here, to read: its {@code pause}, {@code resume}, {@code destroy} and memory transfers throw
     * {@link UnsupportedOperationException} (the migration changes its run state at the steps it needs, and judges
     * them by what it did), and it offers no {@link io.ferry.api.hypervisor.DirectMigration} nor
     * {@link io.ferry.api.hypervisor.VmProcess}</td><td>when this host
     * has one (not in offline migrations, nor before Prepare made it)</td></tr>
     * <tr><td>{@link GraphicsConsole}</td><td>that VM's graphics servers, and relocation of their clients</td>
     * <td>with the VM</td></tr>
     * <tr><td>{@link io.ferry.api.lock.DomainLeases}</td><td>the domain's disk leases on this host</td><td>in a
     * migration, when a lock manager is configured</td></tr>
     * <tr><td>{@link SideStream}</td><td>this section's side stream in this migration</td><td>in a migration</td></tr>
     * <tr><td>{@link MigrationJob}</td><td>the job's figures on this host, which count memory once it moves
     * (source Perform, destination Finish)</td><td>in a migration, from the source's Begin and the destination's
     * Prepare</td></tr>
     * <tr><td>{@link CheckOnly}</td><td>this call is a check that must change nothing on this host</td><td>in
     * {@code ferry cookie check} and {@code bake} (since 1.2)</td></tr>
     * </table>
     * A VM's other capabilities ({@link VirtualMachine#capability}) are offered too. In a check ({@link CheckOnly}) the
     * core offers no VM, no graphics and no job; leases that name this host's lock manager, hand out the state of
     * leases this host holds and acquire nothing; and a side stream that takes what a section offers and has nothing
     * to read (the check reports a section that fails once it asked for its data as not eaten, its data coming
     * through the migration's side stream).
     *
     * @since 1.1
     */
    <T> Optional<T> capability(Class<T> type);

    /**
     * The migrating domain's definition.
     *
     * @deprecated since 1.1: {@code capability(DomainSpec.class)}.
     */
    @Deprecated
    default Optional<DomainSpec> domain() {
        return capability(DomainSpec.class);
    }

    /**
     * The migrating domain's VM on this host.
     *
     * @deprecated since 1.1: {@code capability(VirtualMachine.class)}, or the narrower capability the section needs
     *             ({@link GraphicsConsole}).
     */
    @Deprecated
    default Optional<VirtualMachine> vm() {
        return capability(VirtualMachine.class);
    }

    /**
     * The domain's leases on this host.
     *
     * @deprecated since 1.1: {@code capability(io.ferry.api.lock.DomainLeases.class)}.
     */
    @Deprecated
    default Optional<DomainLeases> leases() {
        return capability(DomainLeases.class);
    }

    /**
     * The side stream of this section in this migration.
     *
     * @deprecated since 1.1: {@code capability(SideStream.class)}.
     */
    @Deprecated
    default Optional<SideStream> sideStream() {
        return capability(SideStream.class);
    }

    /** This host's identity. */
    Host localHost();

    /** The peer's identity, once known: from the incoming cookie's header, or the negotiation. */
    Optional<Host> remoteHost();

    /** Logs an informational line tagged with the migration id and the section's feature. */
    void info(String message);

    /** Logs a warning tagged with the migration id and the section's feature. */
    void warn(String message);

    /** A host's identity as carried in the cookie header. */
    record Host(String hostname, UUID uuid) {
    }
}
