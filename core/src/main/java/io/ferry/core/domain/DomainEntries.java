package io.ferry.core.domain;

import io.ferry.api.hypervisor.DomainSpec;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The domain entries by name: looked up, admitted (one name, one UUID) and dropped once gone. */
final class DomainEntries {
    private final Map<String, Domain> domains = new ConcurrentHashMap<>();

    Map<String, Domain> map() {
        return domains;
    }

    List<Domain> list() {
        return domains.values().stream().sorted(Comparator.comparing(Domain::name)).toList();
    }

    Domain get(String name) throws DomainException {
        Domain domain = domains.get(name);
        if (domain == null) {
            throw DomainException.notFound(name);
        }
        return domain;
    }

    Optional<Domain> find(String name) {
        return Optional.ofNullable(domains.get(name));
    }

    /**
     * The entry of the domain {@code spec} defines, created if new. As libvirt's domain list, refused when the
     * name belongs to another UUID or the UUID to another name: a UUID names a VM's run directory and its
     * snapshots, which two domains must never share. A new name is refused while an unreadable domain's UUID is unknown
     * (a transient one whose status a power cut emptied): the UUID given may be that one's. Refused too when
     * {@code staged}, a definition an arrival committed here left staged, gives the UUID to another domain, read by
     * the caller ({@link DomainDefinitions#admit}) so that no file is read under the lock.
     */
    Admission admit(DomainSpec spec, Optional<DomainDefinitions.Staged> staged) throws DomainException {
        return admit(spec, false, staged);
    }

    /** An admitted entry, and whether this admission created it (its name had none, or the one it had was dropped). */
    record Admission(Domain domain, boolean created) {
    }

    /**
     * As {@link #admit}, for the definition of an arrival committed here: its source was told the domain is kept here
     * (it may have undefined its own). Its UUID was admitted at its Prepare, but the entry that held it may be gone
     * since (a transient guest destroyed while its definition waited to be stored): what keeps the UUID for it then is
     * that {@link #admit} refuses it to any other name while its definition is staged. An unreadable domain whose UUID
     * is unknown since (a power cut emptied its status) does not keep it out: it would be defined on neither host. The
     * name and UUID clash checks hold.
     */
    Domain admitCommitted(DomainSpec spec) throws DomainException {
        return admit(spec, true, Optional.empty()).domain();
    }

    private Admission admit(DomainSpec spec, boolean committedHere, Optional<DomainDefinitions.Staged> staged)
            throws DomainException {
        synchronized (domains) {
            Domain existing = domains.get(spec.name());
            if (existing != null && existing.problem() != null) {
                throw DomainException.unreadable(existing);
            }
            Optional<Domain> unknown = existing != null || committedHere ? Optional.empty() : unreadableOfUnknownUuid();
            if (unknown.isPresent()) {
                throw new DomainException("operation failed: domain '" + spec.name() + "' cannot be added while"
                        + " domain '" + unknown.get().name() + "' is unreadable and its UUID unknown (it may be "
                        + spec.uuid() + ", which would give the new domain its run directory and snapshots): "
                        + unknown.get().problem() + "; repair or remove what is named, then restart ferryd");
            }
            if (existing != null && !spec.uuid().equals(existing.uuid())) {
                throw new DomainException("operation failed: domain '" + spec.name() + "' already exists with uuid "
                        + existing.uuid());
            }
            Optional<Domain> sharing = otherWithUuid(spec);
            if (sharing.isPresent()) {
                throw sameUuid(sharing.get());
            }
            if (existing == null && staged.isPresent()) { // an entry of the name holds the UUID already
                throw stagedWithUuid(spec, staged.get());
            }
            Domain admitted = domains.computeIfAbsent(spec.name(), n -> new Domain(n, spec.uuid()));
            return new Admission(admitted, admitted != existing);
        }
    }

    Optional<Domain> otherWithUuid(DomainSpec spec) {
        return domains.values().stream()
                .filter(d -> !d.name().equals(spec.name()) && spec.uuid().equals(d.uuid())).findFirst();
    }

    private Optional<Domain> unreadableOfUnknownUuid() {
        return domains.values().stream().filter(d -> d.problem() != null && d.uuid() == null).findFirst();
    }

    static DomainException sameUuid(Domain other) {
        return new DomainException("operation failed: domain '" + other.name() + "' is already defined with uuid " + other.uuid());
    }

    static DomainException stagedWithUuid(DomainSpec spec, DomainDefinitions.Staged staged) {
        String owner = staged.spec().name();
        return new DomainException("operation failed: domain '" + spec.name() + "' cannot be given UUID " + spec.uuid()
                + ": the definition of '" + owner + "' that migration " + staged.migrationId() + " brought is staged"
                + " for it (it could not be stored) and is installed at ferryd's next start (discarded then if that"
                + " migration did not commit) or when '" + owner + "' arrives again, its snapshots kept for it; give '"
                + spec.name() + "' another UUID, or let that definition be installed (room on the disk, then restart"
                + " ferryd) and undefine '" + owner + "'");
    }

    /**
     * Drops an entry that has neither a persistent definition nor an active instance, unless a migration claims it (an
     * offline arrival has neither until it commits): its end drops it ({@link MigratingDomains#release}).
     */
    void forgetIfGone(Domain domain) {
        if (domain.persistent() == null && !domain.isActive() && domain.migration() == null) {
            domains.remove(domain.name(), domain);
        }
    }
}
