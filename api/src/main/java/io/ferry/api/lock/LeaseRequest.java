package io.ferry.api.lock;

import java.util.List;
import java.util.UUID;

/**
 * The leases one domain needs on one host.
 *
 * @param resources one lease per disk, named by the disk's source (a path or device)
 * @param owner this host's name, shown to whoever finds the leases held
 * @param ownerUuid this host's UUID
 */
public record LeaseRequest(String domainName, UUID domainUuid, List<String> resources, String owner, UUID ownerUuid) {
    public LeaseRequest {
        resources = List.copyOf(resources);
    }
}
