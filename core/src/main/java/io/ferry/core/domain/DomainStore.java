package io.ferry.core.domain;

import io.ferry.core.daemon.AtomicFiles;
import io.ferry.core.daemon.FileTrees;
import io.ferry.protocol.Xml;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.InvalidPathException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The domain files of the state directory, each written atomically: {@code domains/NAME.xml} the persistent
 * definitions, {@code status/NAME.xml} the live status of active domains (the definition they run and their
 * state), and {@code run-dir}, the run directory whose {@code UUID/} holds what the driver keeps for each VM
 * ({@code --run-dir}, by default the state directory's {@code run/}), and {@code incoming/ID.xml} the definition an
 * incoming migration brings, until it commits.
 */
public final class DomainStore {
    private static final Logger LOG = LoggerFactory.getLogger(DomainStore.class);
    private static final String RUN_DIR_RECORD = "run-dir";

    private final Path domains;
    private final Path status;
    private final Path run;
    private final Path incoming;
    private final AtomicFiles.DirectorySync sync;

    /**
     * @throws IOException when the run directory is not the one the active domains were started in: their VMs
     *         (their memory, a QEMU's monitor) are in the other, and a daemon looking here would take them for gone
     */
    public DomainStore(Path stateDir, Path runDir) throws IOException {
        this(stateDir, runDir, AtomicFiles.FSYNC);
    }

    DomainStore(Path stateDir, Path runDir, AtomicFiles.DirectorySync sync) throws IOException {
        this.domains = AtomicFiles.createDirectories(stateDir.resolve("domains"), sync);
        this.status = Files.createDirectories(stateDir.resolve("status")); // replaced, never synced: see writeStatus
        this.incoming = AtomicFiles.createDirectories(stateDir.resolve("incoming"), sync);
        this.sync = sync;
        this.run = Files.createDirectories(runDir).toAbsolutePath().normalize();
        Path record = stateDir.resolve(RUN_DIR_RECORD);
        Path legacy = stateDir.resolve("run").toAbsolutePath().normalize(); // the only place before the setting
        boolean recorded = Files.exists(record);
        Path before = recorded ? null : legacy;
        String unknown = recorded ? null : "missing";
        if (recorded) {
            try {
                before = recordedRunDir(record);
            } catch (IOException | InvalidPathException e) {
                unknown = "damaged (" + (e instanceof IOException io ? AtomicFiles.reason(io) : e.getMessage()) + ")";
            }
        }
        if (!recorded || before == null || !before.equals(run)) {
            List<StoredFile> active = before != null && before.equals(run) ? List.of() : statuses();
            if (!active.isEmpty()) {
                // a record an operator deleted or a disk damaged does not say where the VMs are: their directories do
                if (unknown == null || !holdsTheirVms(run, active)) {
                    throw runDirRefused(record, before, unknown, active);
                }
                LOG.warn("the run directory record {} was {}: the active domains' VMs are in {}, recorded anew", record,
                        unknown, run);
            }
            AtomicFiles.write(record, (run + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The run directory {@code record} names: an absolute path, or the record is damaged. */
    private static Path recordedRunDir(Path record) throws IOException {
        String text = Files.readString(record, StandardCharsets.UTF_8).trim();
        Path recorded = Path.of(text);
        if (text.isEmpty() || !recorded.isAbsolute()) {
            throw new IOException("it holds " + Xml.quote(text) + ", not a directory's absolute path");
        }
        return recorded.normalize();
    }

    /**
     * Whether {@code runDir} holds the run directory of every active domain: what decides where their VMs are when
     * the record does not say (it was damaged). One whose status names no UUID cannot be looked for, so it holds none.
     */
    private static boolean holdsTheirVms(Path runDir, List<StoredFile> active) {
        for (StoredFile file : active) {
            UUID uuid;
            try {
                uuid = DomainXml.uuidIn(file.read());
            } catch (IOException e) {
                return false;
            }
            if (uuid == null || !Files.isDirectory(runDir.resolve(uuid.toString()))) {
                return false;
            }
        }
        return true;
    }

    /** @param before where the record says the VMs are; with {@code unknown}, what the record says when missing */
    private IOException runDirRefused(Path record, Path before, String unknown, List<StoredFile> active) {
        String names = String.join(", ", active.stream().map(StoredFile::name).toList());
        if (before != null && (unknown == null || holdsTheirVms(before, active))) {
            return new IOException("the run directory is " + run + " but the active domains (" + names + ") run from "
                    + before + ": start the daemon with --run-dir " + before + " (runDir) until they are shut off");
        }
        return new IOException("the run directory record " + record + " is " + unknown + " and the run directory " + run
                + " does not hold the VMs of the active domains (" + names + "): start the daemon with --run-dir naming"
                + " the one that does (runDir) until they are shut off");
    }

    public void writeDefinition(String name, String xml) throws IOException {
        AtomicFiles.write(domains.resolve(name + ".xml"), xml.getBytes(StandardCharsets.UTF_8));
    }

    /** Keeps, durably, the definition migration {@code migrationId} brings, until it commits or aborts. */
    public void stageDefinition(String migrationId, String xml) throws IOException {
        AtomicFiles.write(incoming.resolve(migrationId + ".xml"), xml.getBytes(StandardCharsets.UTF_8));
    }

    /** The definition staged for migration {@code migrationId}, if any. */
    public Optional<StoredFile> stagedDefinition(String migrationId) {
        Path staged = incoming.resolve(migrationId + ".xml");
        return Files.exists(staged) ? Optional.of(new StoredFile(migrationId, staged)) : Optional.empty();
    }

    /** Every staged definition, named by its migration's id. */
    public List<StoredFile> stagedDefinitions() throws IOException {
        return list(incoming);
    }

    /** Makes the staged definition {@code name}'s persistent one, in one rename. */
    public void installStagedDefinition(String migrationId, String name) throws IOException {
        AtomicFiles.move(incoming.resolve(migrationId + ".xml"), domains.resolve(name + ".xml"));
    }

    /** Renames a damaged staged definition aside ({@code ID.xml.damaged}), durably; returns its new path. */
    public Path setAsideStagedDefinition(String migrationId) throws IOException {
        Path aside = incoming.resolve(migrationId + ".xml.damaged");
        AtomicFiles.move(incoming.resolve(migrationId + ".xml"), aside);
        return aside;
    }

    public void discardStagedDefinition(String migrationId) throws IOException {
        Files.deleteIfExists(incoming.resolve(migrationId + ".xml"));
    }

    /** As {@link #discardStagedDefinition}, and durably: a power cut must not bring it back. */
    public void discardStagedDefinitionDurably(String migrationId) throws IOException {
        if (Files.deleteIfExists(incoming.resolve(migrationId + ".xml"))) {
            sync.force(incoming);
        }
    }

    /** Durably: a power cut must not bring back a definition the operator removed (or a migration's source dropped). */
    public void deleteDefinition(String name) throws IOException {
        if (Files.deleteIfExists(domains.resolve(name + ".xml"))) {
            sync.force(domains);
        }
    }

    public List<StoredFile> definitions() throws IOException {
        return list(domains);
    }

    public void writeStatus(String name, String xml) throws IOException {
        // a status only matters while the domain's VM lives, and it dies with the host
        AtomicFiles.replace(statusFile(name), xml.getBytes(StandardCharsets.UTF_8));
    }

    public void deleteStatus(String name) throws IOException {
        Files.deleteIfExists(statusFile(name));
    }

    /** Where the live status of domain {@code name} is kept while its VM runs. */
    Path statusFile(String name) {
        return status.resolve(name + ".xml");
    }

    public List<StoredFile> statuses() throws IOException {
        return list(status);
    }

    /**
     * The run directory of VM {@code uuid}, created so that only the daemon's user may enter it: what a driver keeps
     * there is the guest's (its memory, a QEMU's monitor).
     */
    public Path runDir(UUID uuid) throws IOException {
        Path dir = runDirOf(uuid);
        if (!dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return Files.createDirectories(dir);
        }
        return Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
    }

    /** Removes what a driver left of a VM that no longer exists. */
    public void deleteRunDir(UUID uuid) throws IOException {
        FileTrees.delete(runDirOf(uuid));
    }

    /** The run directory of VM {@code uuid}, there or not. */
    Path runDirOf(UUID uuid) {
        return run.resolve(uuid.toString());
    }

    /** A domain's file in the state directory: the name it is stored under and where it is. */
    public record StoredFile(String name, Path path) {
        /** @throws IOException with the reason alone ("not UTF-8", "Permission denied") */
        public String read() throws IOException {
            try {
                return Files.readString(path, StandardCharsets.UTF_8);
            } catch (CharacterCodingException e) {
                throw new IOException("not UTF-8", e);
            } catch (IOException e) {
                throw new IOException(AtomicFiles.reason(e), e);
            }
        }
    }

    private static List<StoredFile> list(Path directory) throws IOException {
        List<StoredFile> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, "*.xml")) {
            for (Path file : entries) {
                String name = file.getFileName().toString();
                files.add(new StoredFile(name.substring(0, name.length() - ".xml".length()), file));
            }
        }
        files.sort(Comparator.comparing(StoredFile::name));
        return files;
    }
}
