package io.ferry.core.section;

import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The context handed to one section for one bake or eat. Its log lines name the section; the migration id
 * comes from the logging context ({@link MigrationLog}), which section calls inherit.
 */
public record MigrationSectionContext(Phase phase, String migrationId, String domainName, UUID domainUuid,
        Host localHost, Optional<Host> remoteHost, String feature) implements SectionContext {

    private static final Logger LOG = LoggerFactory.getLogger("io.ferry.section");

    /** The same migration and phase, for another section. */
    public MigrationSectionContext forSection(String otherFeature) {
        return new MigrationSectionContext(phase, migrationId, domainName, domainUuid, localHost, remoteHost, otherFeature);
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
