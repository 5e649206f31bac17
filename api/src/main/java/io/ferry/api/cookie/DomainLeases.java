package io.ferry.api.cookie;

import org.osgi.annotation.versioning.ProviderType;

/** The migrating domain's leases on this host, for the lockstate section. */
@ProviderType
public interface DomainLeases {
    /** The name of this host's lock manager. */
    String manager();

    /** The lease state to send: held now (Begin), or as released at switch-over (Perform). */
    String state();

    /** Destination: the state the leases must be acquired with when the domain starts here (Finish). */
    void acquireWith(String state);
}
