package io.ferry.core.domain;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Persistent definitions: defined and undefined by the operator, and those incoming migrations install. */
final class DomainDefinitions {
    /** The manager's logger: operators' log settings name it. */
    private static final Logger LOG = LoggerFactory.getLogger(DomainManager.class);

    private final DomainManager manager;
    private final DomainEntries entries;
    private final DomainStore store;
    private final DomainXml xml;
    private final StagedListing staged;

    DomainDefinitions(DomainManager manager, DomainEntries entries, DomainStore store, DomainXml xml) {
        this(manager, entries, store, xml, store::stagedDefinitions);
    }

    /** @param staged lists the definitions arrivals left staged: the store's, in tests one that fails */
    DomainDefinitions(DomainManager manager, DomainEntries entries, DomainStore store, DomainXml xml,
            StagedListing staged) {
        this.manager = manager;
        this.entries = entries;
        this.store = store;
        this.xml = xml;
        this.staged = staged;
    }

    interface StagedListing {
        List<DomainStore.StoredFile> list() throws IOException;
    }

    /** A definition an arrival left staged, read: migration {@code migrationId}'s. */
    record Staged(String migrationId, DomainSpec spec) {
    }

    Domain define(String definition) throws DomainException {
        DomainSpec spec = parse(definition, true);
        Domain domain = admit(spec);
        try {
            return manager.withJob(domain, "define", () -> {
                if (entries.map().get(spec.name()) != domain) {
                    throw new DomainException("operation failed: domain '" + spec.name() + "' changed while this "
                            + "definition waited; define it again");
                }
                store.writeDefinition(spec.name(), spec.xml());
                domain.persistent(spec);
                discardStagedDefinitions(spec.name());
                return domain;
            });
        } catch (DomainException e) {
            entries.forgetIfGone(domain);
            throw e;
        }
    }

    /**
     * The operator's word on domain {@code name} is newer than a definition an arrival committed here left staged
     * (it could not be stored): that one must not replace it at the next start, nor at the domain's next Begin. The
     * domain is in no migration (the caller holds its job), so no staged definition of it is still to be committed.
     */
    private void discardStagedDefinitions(String name) throws IOException {
        for (Staged staged : readableStaged()) {
            if (staged.spec().name().equals(name)) {
                store.discardStagedDefinitionDurably(staged.migrationId());
                LOG.warn("domain {}: the definition migration {} brought and could not store is discarded, the domain"
                        + " being defined or undefined since", name, staged.migrationId());
            }
        }
    }

    /**
     * Whether an arrival committed here left a definition of domain {@code name} staged, to be installed at its next
     * try (it could not be stored): the domain, transient until then, is not gone for good.
     */
    boolean installsLater(String name) {
        try {
            return readableStaged().stream().anyMatch(staged -> staged.spec().name().equals(name));
        } catch (IOException e) {
            return true; // unknown: kept
        }
    }

    /**
     * The entry of a domain defined or arriving ({@link DomainEntries#admit}), refused too when a staged definition
     * gives its UUID to another domain: one an arrival committed here could not store, whose domain may have no entry
     * left to hold the UUID (a transient guest destroyed since); installed later, it makes the UUID, and the snapshots
     * kept under it, that domain's again. Read before the entries' lock, and for a new entry read again once it holds
     * the UUID (no definition can be staged with it from then on): one staged in between, its arrival's entry dropped
     * before this admit, is not missed. A new entry this admit cannot keep, that read failing too, is forgotten: left,
     * it held the UUID against every other name until ferryd restarted.
     */
    Domain admit(DomainSpec spec) throws DomainException {
        DomainEntries.Admission admission = entries.admit(spec, stagedUnderAnotherName(spec));
        Domain admitted = admission.domain();
        if (admission.created()) {
            try {
                Optional<Staged> since = stagedUnderAnotherName(spec);
                if (since.isPresent()) {
                    throw DomainEntries.stagedWithUuid(spec, since.get());
                }
            } catch (DomainException e) {
                entries.forgetIfGone(admitted);
                throw e;
            }
        }
        return admitted;
    }

    private Optional<Staged> stagedUnderAnotherName(DomainSpec spec) throws DomainException {
        try {
            return readableStaged().stream().filter(staged -> staged.spec().uuid().equals(spec.uuid())
                    && !staged.spec().name().equals(spec.name())).findFirst();
        } catch (IOException e) {
            throw new DomainException("operation failed: domain '" + spec.name() + "' cannot be added: the definitions"
                    + " arrivals left staged, which may give its UUID to another domain, cannot be listed: "
                    + e.getMessage(), e);
        }
    }

    /** The staged definitions that can be read: one that cannot is not this host's to judge, left to the operator. */
    private List<Staged> readableStaged() throws IOException {
        List<Staged> readable = new ArrayList<>();
        for (DomainStore.StoredFile file : staged.list()) {
            try {
                readable.add(new Staged(file.name(), xml.parse(file.read())));
            } catch (CookieException | IOException e) {
                // an unreadable one stays for the operator to mend
            }
        }
        return readable;
    }

    /** @param newDefinition an operator's, to be kept: interfaces without a MAC address get one ({@link DomainXml#parseNew}) */
    DomainSpec parse(String definition, boolean newDefinition) throws DomainException {
        try {
            DomainSpec spec = newDefinition ? xml.parseNew(definition) : xml.parse(definition);
            manager.hypervisor(spec.type()).validate(spec);
            return spec;
        } catch (CookieException | HypervisorException e) {
            throw new DomainException(e.getMessage(), e);
        }
    }

    void undefine(String name, DomainManager.Undefining with) throws DomainException {
        Domain domain = entries.get(name);
        manager.withJob(domain, "undefine", () -> {
            if (domain.persistent() == null) {
                throw new DomainException("Requested operation is not valid: cannot undefine transient domain");
            }
            with.before(domain);
            store.deleteDefinition(name);
            domain.persistent(null);
            try {
                afterTheDefinition(domain, with);
            } finally {
                entries.forgetIfGone(domain);
            }
            return null;
        });
    }

    /**
     * While the entry still holds the name and UUID (no domain given them meanwhile): what goes with the definition
     * goes first, the domain being undefined whatever the discard of its staged definitions meets (a disk's error),
     * and each runs though the other fails.
     */
    private void afterTheDefinition(Domain domain, DomainManager.Undefining with) throws Exception {
        try {
            with.after(domain);
        } catch (Exception e) {
            try {
                discardStagedDefinitions(domain.name());
            } catch (IOException discard) {
                e.addSuppressed(discard);
            }
            throw e;
        }
        discardStagedDefinitions(domain.name());
    }

    /**
     * @param known the definition the domain is known by here (the one its VM runs, or the one Prepare was given), kept
     *        in place of a staged one that cannot be read; null when none is known (an offline arrival's, whose domain
     *        lived in memory only, after a restart)
     * @param owed whether the migration staged a definition: one missing was deleted (an operator cleaning up), unless
     *        it was installed already, and a domain that no definition defines here keeps the one it is known by
     */
    void installIncomingDefinition(String migrationId, DomainSpec known, boolean owed) throws IOException, DomainException {
        Optional<DomainStore.StoredFile> staged = store.stagedDefinition(migrationId);
        if (staged.isEmpty()) {
            Domain domain = owed && known != null ? entries.find(known.name()).orElse(null) : null;
            if (domain != null && domain.persistent() == null) {
                defineByKnown(known);
                LOG.error("domain {}: the definition migration {} brought, incoming/{}.xml, is missing: the domain is defined"
                        + " by the definition it is known by here instead (the one it runs)", known.name(), migrationId,
                        migrationId);
            }
            return;
        }
        DomainSpec spec;
        try {
            spec = xml.parse(staged.get().read());
        } catch (CookieException | IOException e) {
            if (known == null) {
                throw new DomainException("the definition migration " + migrationId + " brought, " + staged.get().path()
                        + ", is unreadable (" + e.getMessage() + ") and no other definition of the domain is known here", e);
            }
            keepKnownDefinition(migrationId, staged.get(), known, e.getMessage());
            return;
        }
        Domain domain = entries.admitCommitted(spec);
        DomainSpec before = domain.persistent();
        // marked first: a settle, which answers a committed arrival without the job, found neither the domain defined
        // nor the file staged between the rename and the mark, and told its source the definition was lost
        domain.persistent(spec);
        try {
            store.installStagedDefinition(migrationId, spec.name());
        } catch (IOException e) { // not renamed: it stays staged, and the domain is what it was
            domain.persistent(before);
            throw e;
        }
    }

    /** Whether migration {@code migrationId} staged a definition that can be read. */
    boolean stagedDefinitionReadable(String migrationId) {
        Optional<DomainStore.StoredFile> staged = store.stagedDefinition(migrationId);
        if (staged.isEmpty()) {
            return false;
        }
        try {
            xml.parse(staged.get().read());
            return true;
        } catch (CookieException | IOException e) {
            return false;
        }
    }

    /**
     * A committed arrival whose staged definition a disk's error or a power cut damaged: the domain belongs to this host
     * now, and its source may have undefined it, so it keeps the definition known here, as libvirt's Finish defines a
     * domain by the one it runs when the cookie brought none. The damaged file is set aside for the operator.
     */
    private void keepKnownDefinition(String migrationId, DomainStore.StoredFile staged, DomainSpec known, String why)
            throws IOException, DomainException {
        defineByKnown(known);
        Path aside = store.setAsideStagedDefinition(migrationId);
        LOG.error("domain {}: the definition migration {} brought, {}, is unreadable ({}): the domain is defined by the"
                + " definition it is known by here instead (the one it runs); the damaged file is kept as {}", known.name(),
                migrationId, staged.path(), why, aside);
    }

    private void defineByKnown(DomainSpec known) throws IOException, DomainException {
        Domain domain = entries.admitCommitted(known);
        store.writeDefinition(known.name(), known.xml());
        domain.persistent(known);
    }
}
