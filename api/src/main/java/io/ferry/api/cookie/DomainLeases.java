package io.ferry.api.cookie;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The migrating domain's leases on this host.
 *
 * @deprecated since 1.1: lease types live in the lock package; use {@link io.ferry.api.lock.DomainLeases}, looked up
 *             with {@code context.capability(io.ferry.api.lock.DomainLeases.class)}. The core's leases implement
 *             both types, so a section compiled against 1.0 keeps working.
 */
@Deprecated
@ProviderType
public interface DomainLeases extends io.ferry.api.lock.DomainLeases {
    @Override
    String manager();

    @Override
    String state();

    @Override
    void acquireWith(String state);
}
