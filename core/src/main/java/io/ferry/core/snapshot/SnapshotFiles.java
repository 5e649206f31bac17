package io.ferry.core.snapshot;

import io.ferry.api.snapshot.SnapshotStore;
import io.ferry.core.daemon.AtomicFiles;
import io.ferry.core.daemon.Daemon;
import io.ferry.protocol.Xml;
import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.protocol.xml.XmlException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Snapshot metadata in the state directory: {@code snapshots/UUID/NAME.xml} ({@code <domainsnapshot>}) for
 * snapshots made here, {@code snapshots/UUID/migrated-ID.pack} for the hierarchy a migration brought, and
 * {@code snapshots/UUID/current}. A migration's snapshots wait in {@code snapshots/.staging/ID/} and are
 * committed as one pack file: one write and one fsync however many there are, and all or nothing.
 */
@Component(service = {SnapshotStore.class, SnapshotFiles.class})
public class SnapshotFiles implements SnapshotStore {
    private static final String CURRENT = "current";
    private static final String DOMAIN = "domain";
    private static final String PACK = "snapshots.pack";
    private static final String PACK_PREFIX = "migrated-";
    private static final String PACK_SUFFIX = ".pack";

    private final Path root;
    private final HardenedXmlParser parser;

    @Activate
    public SnapshotFiles(@Reference Daemon daemon) throws IOException {
        this.root = Files.createDirectories(daemon.settings().stateDir().resolve("snapshots"));
        // a snapshot holds a definition within those limits, one level down, beside its own few elements
        this.parser = new HardenedXmlParser(daemon.settings().cookieMaxBytes() + 64 * 1024, daemon.settings().cookieMaxDepth() + 1);
    }

    @Override
    public synchronized List<Snapshot> list(UUID domain) throws IOException {
        return read(root.resolve(domain.toString()));
    }

    @Override
    public synchronized Optional<String> current(UUID domain) throws IOException {
        Path file = root.resolve(domain.toString()).resolve(CURRENT);
        return Files.exists(file) ? Optional.of(Files.readString(file, StandardCharsets.UTF_8).trim()) : Optional.empty();
    }

    /**
     * Adds a snapshot ({@code snapshot-create-as}); it becomes the current one. All or nothing: a snapshot this
     * store could not read back is refused, and one whose current mark cannot be written is removed again.
     */
    public synchronized void add(UUID domain, Snapshot snapshot) throws IOException {
        Path dir = Files.createDirectories(root.resolve(domain.toString()));
        requireName(snapshot.name());
        Path file = dir.resolve(snapshot.name() + ".xml");
        if (Files.exists(file) || packedNames(dir).contains(snapshot.name())) {
            throw new IOException("domain snapshot '" + snapshot.name() + "' already exists");
        }
        parse(snapshot.xml(), "snapshot '" + snapshot.name() + "'");
        AtomicFiles.write(file, snapshot.xml().getBytes(StandardCharsets.UTF_8));
        try {
            AtomicFiles.write(dir.resolve(CURRENT), snapshot.name().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            Files.deleteIfExists(file);
            throw e;
        }
    }

    /** Makes an existing snapshot the current one ({@code snapshot-current NAME SNAP}). */
    public synchronized void setCurrent(UUID domain, String name) throws IOException {
        requireName(name);
        Path dir = root.resolve(domain.toString());
        if (!Files.exists(dir.resolve(name + ".xml")) && !packedNames(dir).contains(name)) {
            throw new IOException("Domain snapshot not found: no domain snapshot with matching name '" + name + "'");
        }
        AtomicFiles.write(dir.resolve(CURRENT), name.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public synchronized void stage(String migrationId, UUID domain, List<Snapshot> snapshots, String current) throws IOException {
        Path dir = staging(migrationId);
        for (Snapshot snapshot : snapshots) {
            requireName(snapshot.name());
            // what a peer sends must read back here, under this host's limits
            parse(snapshot.xml(), "snapshot '" + snapshot.name() + "' of migration " + migrationId);
        }
        delete(dir);
        Files.createDirectories(dir);
        // not synced: a crash before the commit discards the staging anyway
        Files.write(dir.resolve(PACK), pack(snapshots));
        Files.writeString(dir.resolve(DOMAIN), domain.toString(), StandardCharsets.UTF_8);
        if (current != null) {
            Files.writeString(dir.resolve(CURRENT), current, StandardCharsets.UTF_8);
        }
    }

    @Override
    public synchronized void commit(String migrationId) throws IOException {
        Path dir = staging(migrationId);
        if (!Files.exists(dir.resolve(DOMAIN))) {
            return;
        }
        UUID domain = UUID.fromString(Files.readString(dir.resolve(DOMAIN), StandardCharsets.UTF_8).trim());
        Path target = Files.createDirectories(root.resolve(domain.toString()));
        AtomicFiles.write(target.resolve(PACK_PREFIX + migrationId + PACK_SUFFIX), Files.readAllBytes(dir.resolve(PACK)));
        if (Files.exists(dir.resolve(CURRENT))) {
            AtomicFiles.write(target.resolve(CURRENT), Files.readAllBytes(dir.resolve(CURRENT)));
        }
        delete(dir);
    }

    @Override
    public synchronized void discard(String migrationId) throws IOException {
        delete(staging(migrationId));
    }

    private Path staging(String migrationId) {
        if (!migrationId.matches("[A-Za-z0-9-]{1,64}")) {
            throw new IllegalArgumentException("invalid migration id " + migrationId);
        }
        return root.resolve(".staging").resolve(migrationId);
    }

    private List<Snapshot> read(Path dir) throws IOException {
        Map<String, Snapshot> byName = new HashMap<>();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.xml")) {
                for (Path file : files) {
                    put(byName, readUtf8(file), file.toString());
                }
            }
            try (DirectoryStream<Path> packs = Files.newDirectoryStream(dir, PACK_PREFIX + "*" + PACK_SUFFIX)) {
                for (Path pack : packs) {
                    for (String xml : unpack(Files.readAllBytes(pack), pack)) {
                        put(byName, xml, pack.toString());
                    }
                }
            }
        }
        List<Snapshot> ordered = new ArrayList<>(byName.size());
        Set<String> added = new HashSet<>();
        for (Snapshot snapshot : byName.values().stream().sorted(Comparator.comparing(Snapshot::name)).toList()) {
            addParentFirst(snapshot, byName, added, ordered);
        }
        return ordered;
    }

    private static String readUtf8(Path file) throws IOException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IOException(file + " is not UTF-8 text", e);
        }
    }

    private void put(Map<String, Snapshot> byName, String xml, String file) throws IOException {
        Xml snapshot = parse(xml, file);
        String parent = snapshot.children("parent").isEmpty() ? null : snapshot.children("parent").get(0).childText("name");
        String name = name(snapshot.childText("name"), file);
        byName.put(name, new Snapshot(name, parent == null ? null : name(parent, file), xml));
    }

    /** A name as the file holds it: trimmed, as a migration's destination reads it, and one the store can store. */
    private static String name(String text, String file) throws IOException {
        try {
            requireName(text.trim());
        } catch (IOException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        return text.trim();
    }

    private Set<String> packedNames(Path dir) throws IOException {
        Set<String> names = new HashSet<>();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> packs = Files.newDirectoryStream(dir, PACK_PREFIX + "*" + PACK_SUFFIX)) {
                for (Path pack : packs) {
                    for (String xml : unpack(Files.readAllBytes(pack), pack)) {
                        names.add(name(parse(xml, pack.toString()).childText("name"), pack.toString()));
                    }
                }
            }
        }
        return names;
    }

    /** A pack: the count, then each snapshot's length and UTF-8 XML. */
    private static byte[] pack(List<Snapshot> snapshots) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(snapshots.size());
            for (Snapshot snapshot : snapshots) {
                byte[] xml = snapshot.xml().getBytes(StandardCharsets.UTF_8);
                out.writeInt(xml.length);
                out.write(xml);
            }
        }
        return bytes.toByteArray();
    }

    private static List<String> unpack(byte[] pack, Path file) throws IOException {
        List<String> xmls = new ArrayList<>();
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(pack))) {
            int count = in.readInt();
            for (int i = 0; i < count; i++) {
                int length = in.readInt();
                if (length < 0 || length > pack.length) {
                    throw new IOException(file + " is damaged: a snapshot of " + length + " bytes");
                }
                byte[] xml = in.readNBytes(length);
                if (xml.length < length) {
                    throw new java.io.EOFException();
                }
                xmls.add(new String(xml, StandardCharsets.UTF_8));
            }
        } catch (java.io.EOFException e) {
            throw new IOException(file + " is truncated", e);
        }
        return xmls;
    }

    /** Adds the not yet added ancestors of {@code snapshot}, root first, then it; iterative: chains can be 10,000 deep. */
    private static void addParentFirst(Snapshot snapshot, Map<String, Snapshot> byName, Set<String> added, List<Snapshot> ordered) {
        Deque<Snapshot> lineage = new ArrayDeque<>();
        Set<String> seen = new HashSet<>(); // a cycle (a damaged store) ends the walk
        for (Snapshot s = snapshot; s != null && !added.contains(s.name()) && seen.add(s.name());
                s = s.parent() == null ? null : byName.get(s.parent())) {
            lineage.push(s);
        }
        while (!lineage.isEmpty()) {
            Snapshot s = lineage.pop();
            added.add(s.name());
            ordered.add(s);
        }
    }

    /** @param where names the snapshot's file, or the snapshot on its way in, in errors */
    private Xml parse(String xml, String where) throws IOException {
        try {
            Xml snapshot = Xml.of(parser.parse(xml.getBytes(StandardCharsets.UTF_8), "domain snapshot").getDocumentElement());
            if (!snapshot.name().equals("domainsnapshot") || snapshot.childText("name") == null) {
                throw new IOException(where + " is not a <domainsnapshot> with a <name>");
            }
            return snapshot;
        } catch (XmlException e) {
            throw new IOException(where + ": " + e.getMessage(), e);
        }
    }

    static void requireName(String name) throws IOException {
        if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._+-]{0,127}")) {
            throw new IOException("invalid snapshot name " + (name == null ? "(none)" : Xml.quote(name)));
        }
    }

    private static void delete(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }
}
