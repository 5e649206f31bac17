package io.ferry.core.section;

import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.hypervisor.DomainSpec;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The context handed to one section for one bake or eat. Its log lines name the section; the migration id
 * comes from the logging context ({@link MigrationLog}), which section calls inherit.
 */
public record MigrationSectionContext(Phase phase, String migrationId, String domainName, UUID domainUuid,
        Optional<DomainSpec> domain, Host localHost, Optional<Host> remoteHost, String feature,
        Map<String, Object> coreData) implements SectionContext {

    /** {@link #coreData} key of the job's {@code JobStatistics}, for the built-in statistics section. */
    public static final String STATISTICS = "statistics";

    private static final Logger LOG = LoggerFactory.getLogger("io.ferry.section");

    /** The same migration and phase, for another section. */
    public MigrationSectionContext forSection(String otherFeature) {
        return new MigrationSectionContext(phase, migrationId, domainName, domainUuid, domain, localHost, remoteHost,
                otherFeature, coreData);
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
