package io.ferry.api.cookie;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.VirtualMachine;
import java.util.Optional;
import java.util.UUID;
import org.osgi.annotation.versioning.ProviderType;

/** What the core tells a section about the bake or eat it is asked to do. */
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

    /** The migrating domain's definition; empty when a cookie is baked outside a migration (the cookie tools). */
    Optional<DomainSpec> domain();

    /** The migrating domain's VM on this host, when it has one (not in offline migrations, nor before Prepare made it). */
    Optional<VirtualMachine> vm();

    /** The domain's leases on this host, when a lock manager is configured. */
    Optional<DomainLeases> leases();

    /** The side stream of this section in this migration (see {@link SideStream}); empty outside a migration. */
    Optional<SideStream> sideStream();

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
