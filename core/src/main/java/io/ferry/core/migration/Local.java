package io.ferry.core.migration;

import io.ferry.api.cookie.DomainLeases;
import io.ferry.api.cookie.MigrationJob;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.VirtualMachine;
import java.util.Optional;

/**
 * This host's side of one migration, as its sections see it.
 *
 * @param spec the definition the cookie speaks of (the destination's: renamed, or the caller's --xml)
 * @param key the migration's key, which the other daemon asks for its side streams
 * @param peerUri the other daemon, when known (for side streams)
 * @param job this host's job of the migration; none in offline migrations
 * @param persistent source: the definition its --persistent migration carries, when not {@code spec}
 */
record Local(String migrationId, String key, DomainSpec spec, Optional<VirtualMachine> vm, Optional<DomainLeases> leases,
        String peerUri, Optional<MigrationJob> job, Optional<DomainSpec> persistent) {
}
