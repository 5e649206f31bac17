package io.ferry.api.cookie;

import io.ferry.api.hypervisor.MigrationStats;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The migration job on this host, as a section may report it (libvirt's {@code statistics}): a capability of the
 * {@link SectionContext} from the moment memory moved, on the source at Perform and on the destination at Finish.
 *
 * @since 1.1
 */
@ProviderType
public interface MigrationJob {
    /** When the job started on this host, in milliseconds since the epoch. */
    long startedMillis();

    /** The memory transfer's latest figures. */
    MigrationStats stats();
}
