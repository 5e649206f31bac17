package io.ferry.core.section;

import io.ferry.api.cookie.DomainLeases;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SideStream;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.VirtualMachine;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The context handed to one section for one bake or eat. Its log lines name the section; the migration id
 * comes from the logging context ({@link MigrationLog}), which section calls inherit.
 *
 * @param streams the side stream of each feature in this migration, or null outside one
 * @param coreData what the core's built-in sections need beyond the API ({@link #STATISTICS})
 */
public record MigrationSectionContext(Phase phase, String migrationId, String domainName, UUID domainUuid,
        Optional<DomainSpec> domain, Optional<VirtualMachine> vm, Optional<DomainLeases> leases,
        Function<String, SideStream> streams, Host localHost, Optional<Host> remoteHost, String feature,
        Map<String, Object> coreData) implements SectionContext {

    /** {@link #coreData} key of the job's {@code JobStatistics}, for the built-in statistics section. */
    public static final String STATISTICS = "statistics";
    private static final Logger LOG = LoggerFactory.getLogger("io.ferry.section");

    /** A context outside any migration (the cookie tools). */
    public static MigrationSectionContext offline(Phase phase, String id, String name, UUID uuid, Host localHost) {
        return new MigrationSectionContext(phase, id, name, uuid, Optional.empty(), Optional.empty(), Optional.empty(), null,
                localHost, Optional.empty(), "", Map.of());
    }

    /** The same migration and phase, for another section. */
    public MigrationSectionContext forSection(String otherFeature) {
        return new MigrationSectionContext(phase, migrationId, domainName, domainUuid, domain, vm, leases, streams, localHost,
                remoteHost, otherFeature, coreData);
    }

    /** The same, with the peer's identity as the incoming cookie states it. */
    public MigrationSectionContext withRemote(Host remote) {
        return new MigrationSectionContext(phase, migrationId, domainName, domainUuid, domain, vm, leases, streams, localHost,
                Optional.of(remote), feature, coreData);
    }

    @Override
    public Optional<SideStream> sideStream() {
        return streams == null ? Optional.empty() : Optional.of(streams.apply(feature));
    }

    @Override
    public void info(String message) {
        LOG.info("{}: {}", feature, message);
    }

    @Override
    public void warn(String message) {
        LOG.warn("{}: {}", feature, message);
    }
}
