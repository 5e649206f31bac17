package io.ferry.api.lock;

import java.util.List;
import java.util.UUID;

/**
 * The leases one domain needs on one host.
 *
 * @param resources one lease per disk, named by the disk's source (a path or device), and, since 1.4, one of the
 *        domain itself ({@link #domainResource}), so that a domain without disks runs on one host at a time too
 * @param owner this host's name, shown to whoever finds the leases held
 * @param ownerUuid this host's UUID
 */
public record LeaseRequest(String domainName, UUID domainUuid, List<String> resources, String owner, UUID ownerUuid) {
    /** What names the lease of a domain itself: {@code domain:UUID}, which no disk's absolute path or device takes. */
    public static final String DOMAIN_RESOURCE_PREFIX = "domain:";

    public LeaseRequest {
        resources = List.copyOf(resources);
    }

    /**
     * The resource of the domain of {@code uuid} itself, as libvirt's sanlock driver leases the VM beside its disks: a
     * lease state from before 1.4 names none, and is taken fresh for it when it is free.
     *
     * @since 1.4
     */
    public static String domainResource(UUID uuid) {
        return DOMAIN_RESOURCE_PREFIX + uuid;
    }

    /** This request's domain's own resource ({@link #domainResource}). @since 1.4 */
    public String domainResource() {
        return domainResource(domainUuid);
    }
}
