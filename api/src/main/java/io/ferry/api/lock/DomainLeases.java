package io.ferry.api.lock;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The migrating domain's leases on this host, as the core lends them to a cookie section (the lockstate section):
 * a capability of its {@link io.ferry.api.cookie.SectionContext}, there when a lock manager is configured.
 *
 * @since 1.1
 */
@ProviderType
public interface DomainLeases {
    /** The name of this host's lock manager, as {@link LockManager#NAME} registers it. */
    String manager();

    /** The lease state to send: held now (Begin), or as released at switch-over (Perform). */
    String state();

    /** Destination: the state the leases must be acquired with when the domain starts here (Finish). */
    void acquireWith(String state);
}
