package io.ferry.core.domain;

import io.ferry.api.lock.LeaseRequest;
import io.ferry.core.daemon.AtomicFiles;
import io.ferry.protocol.Xml;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leases of gone VMs that this host could not give back (ZooKeeper out of reach, the lease directory not
 * writable): still this host's in the lock manager, where no other host takes them, so they are given back later.
 * Each is kept in {@code STATE/leases-owed/DOMAIN-UUID.xml} too, so that a restarted daemon still gives them back: the
 * disks, the state they were held with, and the migration whose abort owes them, if one does (its source waits for
 * the state their release returns).
 */
final class OwedLeases {
    private static final Logger LOG = LoggerFactory.getLogger(OwedLeases.class);

    /**
     * @param handed the held leases as the lock manager instance handed them, or null after a restart (given back as
     *        the lock manager finds them from {@code heldState}: {@link io.ferry.api.lock.LockManager#held})
     * @param migration the id of the aborted migration whose source waits for them, or null
     */
    record Owed(LeaseRequest request, String heldState, Leases.Handed handed, String migration) {
        Owed withLease(Leases.Handed taken) {
            return new Owed(request, heldState, taken, migration);
        }
    }

    private final Path directory;
    private final HardenedXmlParser parser = new HardenedXmlParser(1024 * 1024, 8);
    /**
     * By domain UUID, as their records: a domain undefined and another defined under its name (another UUID) while they
     * are owed is another domain, which must neither take them over nor make them be forgotten.
     */
    private final Map<UUID, Owed> byDomain = new ConcurrentHashMap<>();

    /** Reads what an earlier run of the daemon left owed. */
    OwedLeases(Path stateDir, String host, UUID hostUuid) {
        this.directory = stateDir.resolve("leases-owed");
        if (!Files.isDirectory(directory)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.xml")) {
            for (Path file : files) {
                try {
                    Owed owed = read(file, host, hostUuid);
                    byDomain.put(owed.request().domainUuid(), owed);
                } catch (Exception e) {
                    setAside(file, e.getMessage());
                }
            }
        } catch (IOException e) {
            LOG.error("cannot list the disk leases to give back in {}: {}", directory, AtomicFiles.reason(e));
        }
    }

    /**
     * A record that cannot be read (a disk's error) is reported once and kept for the operator under another name. An
     * aborted arrival's leases are given back all the same (its journal record names the disks, and stays unfinished
     * until they are); a gone VM's stay this host's until its domain starts here again or an operator gives them back.
     */
    private static void setAside(Path file, String reason) {
        Path aside = file.resolveSibling(file.getFileName() + ".damaged");
        try {
            Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            aside = file;
        }
        LOG.error("unreadable record of disk leases to give back {} ({}), kept as {}: this host may still hold the disk leases"
                + " of domain {}; those an aborted migration took are given back by the disks its record names, those of a gone"
                + " VM stay this host's until the domain starts here again or an operator gives them back", file, reason, aside,
                file.getFileName().toString().replace(".xml", ""));
    }

    Optional<Owed> of(UUID domain) {
        return Optional.ofNullable(byDomain.get(domain));
    }

    List<Owed> all() {
        return List.copyOf(byDomain.values());
    }

    /** Keeps them owed, in memory at least: a record that cannot be written (a full disk) is logged. */
    void put(Owed owed) {
        byDomain.put(owed.request().domainUuid(), owed);
        Xml xml = Xml.create("owed-leases").attr("domain", owed.request().domainName())
                .attr("uuid", owed.request().domainUuid()).attr("state", owed.heldState()).attr("migration", owed.migration());
        owed.request().resources().forEach(disk -> xml.child("disk").attr("source", disk));
        try {
            AtomicFiles.createDirectories(directory);
            AtomicFiles.write(record(owed.request()), xml.write().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            LOG.error("domain {}: cannot record the disk leases it owes (a restart would forget them): {}",
                    owed.request().domainName(), AtomicFiles.reason(e));
        }
    }

    /**
     * Owed leases this host took again (still its own, the lock manager hands them over): they are the domain's new
     * VM's now, and the debt keeps only those the take left out. A take by other disks (a definition changed since,
     * the stored one of an aborted arrival) met the debt by the domain's UUID and dropped it whole: the disks it did
     * not name stayed this host's for good, and the debt's give-back must not release the leases the new VM holds.
     * Returns whether none are left owed.
     */
    boolean takenOver(Owed owed, LeaseRequest taken) {
        List<String> left = owed.request().resources().stream().filter(r -> !taken.resources().contains(r)).toList();
        if (left.isEmpty()) {
            remove(owed);
            return true;
        }
        if (left.size() < owed.request().resources().size()) {
            // the rest stays owed with no lease in hand: the one in hand was for the whole set, and now stands for the
            // new VM's; the rest is given back through the lock manager's held leases, with the state recorded
            LeaseRequest request = owed.request();
            put(new Owed(new LeaseRequest(request.domainName(), request.domainUuid(), left, request.owner(),
                    request.ownerUuid()), owed.heldState(), null, owed.migration()));
        }
        return false;
    }

    void remove(Owed owed) {
        if (!byDomain.remove(owed.request().domainUuid(), owed)) {
            return;
        }
        try {
            Files.deleteIfExists(record(owed.request()));
        } catch (IOException e) {
            LOG.error("domain {}: cannot delete its record of disk leases to give back: {}", owed.request().domainName(),
                    AtomicFiles.reason(e));
        }
    }

    /** The record of the domain's debt, {@code STATE/leases-owed/UUID.xml}. */
    Path record(LeaseRequest request) {
        return directory.resolve(request.domainUuid() + ".xml");
    }

    private Owed read(Path file, String host, UUID hostUuid) throws Exception {
        Xml x = Xml.of(parser.parse(Files.readAllBytes(file), "owed leases").getDocumentElement());
        List<String> disks = new ArrayList<>();
        for (Xml disk : x.children("disk")) {
            disks.add(disk.required("source"));
        }
        LeaseRequest request = new LeaseRequest(x.required("domain"), UUID.fromString(x.required("uuid")), disks, host, hostUuid);
        return new Owed(request, x.attr("state"), null, x.attr("migration"));
    }
}
