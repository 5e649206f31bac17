package io.ferry.core.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import io.ferry.core.TestDirectories;
import io.ferry.core.daemon.Daemon;
import io.ferry.core.daemon.TestDaemons;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The snapshot store's reader on a damaged state directory: a {@code NAME.xml} (from before the log), a
 * {@code migrated-ID.pack} (of version 1, and the bytes as a whole pack, which a version 2 pack's CRC refuses) and a
 * {@code local.log} holding hostile bytes are listed or refused with a one-line {@link IOException} naming the file,
 * and what the store lists it can store again: staged and committed for another domain (what a migration's
 * destination does, a version 2 pack) it lists the same there, and each of them can be made the current one there;
 * made one by one on a third domain (snapshot-create-as, the log) it lists the same; and a store that starts anew
 * on those files reads the same snapshots and current marks. The log's records are listed without parsing their
 * XML: one forged to pass its CRC may instead be refused at staging, naming the snapshot, as a destination would.
 * Seeds and kept findings: {@code src/test/resources/io/ferry/core/snapshot/SnapshotFilesFuzzTestInputs/}.
 */
class SnapshotFilesFuzzTest {
    private static final UUID AS_FILE = UUID.fromString("00000000-0000-4000-8000-0000000000f1");
    private static final UUID AS_PACK = UUID.fromString("00000000-0000-4000-8000-0000000000f2");
    private static final UUID AS_LOG = UUID.fromString("00000000-0000-4000-8000-0000000000f4");
    private static final UUID RESTORED = UUID.fromString("00000000-0000-4000-8000-0000000000f3");
    private static final UUID CREATED = UUID.fromString("00000000-0000-4000-8000-0000000000f5");
    private static final Path STATE = stateDir();
    /** One daemon for the whole run: it only gives the stores their settings (a daemon per store logged per input). */
    private static final Daemon DAEMON = daemon();

    @DictionaryEntries({"<domainsnapshot>", "</domainsnapshot>", "<name>", "</name>", "<parent>", "</parent>",
            "<description>", "<state>running</state>", "<creationTime>", "<domain type='sim'>", "&#13;", "&amp;",
            "<![CDATA[", "]]>", "<!DOCTYPE", "/>", "</", " ", "\t"})
    @FuzzTest(maxDuration = "6h", maxExecutions = 10_000_000)
    void damagedFilesAreListedOrRefusedAndWhatIsListedStoresAgain(byte[] file) throws IOException {
        Path snapshots = STATE.resolve("snapshots");
        clear(snapshots);
        Files.write(Files.createDirectories(snapshots.resolve(AS_FILE.toString())).resolve("fuzz.xml"), file);
        // the same bytes as a pack of one snapshot, and as a whole pack
        ByteBuffer pack = ByteBuffer.allocate(8 + file.length).putInt(1).putInt(file.length).put(file);
        Files.write(Files.createDirectories(snapshots.resolve(AS_PACK.toString())).resolve("migrated-a.pack"), pack.array());
        Files.write(snapshots.resolve(AS_PACK.toString()).resolve("migrated-b.pack"), file);
        Files.write(Files.createDirectories(snapshots.resolve(AS_LOG.toString())).resolve(SnapshotLog.FILE), file);
        for (UUID domain : List.of(AS_FILE, AS_PACK, AS_LOG)) {
            SnapshotFiles store = store(); // a store keeps the names it read: a new one for files it did not write
            List<Snapshot> listed;
            try {
                listed = store.list(domain);
                store.current(domain);
            } catch (IOException e) {
                String message = oneLine(e);
                assertTrue(message.contains("fuzz.xml") || message.contains(".pack") || message.contains(SnapshotLog.FILE),
                        () -> "a refusal must name the file: " + message);
                continue;
            }
            try {
                store.stage("fuzz", RESTORED, listed, null);
            } catch (IOException e) {
                // the log is listed without parsing its records' XML (each was read back before it was appended, and
                // its CRC32C guards it since): a record forged to pass its CRC is refused where a destination reads it
                String message = oneLine(e);
                assertEquals(AS_LOG, domain, () -> "only the log's records are listed unparsed: " + message);
                assertTrue(message.startsWith("snapshot '") && message.contains("of migration fuzz"),
                        () -> "a refused snapshot must be named: " + message);
                continue;
            }
            store.commit("fuzz");
            assertEquals(listed, store.list(RESTORED), "the store lists differently what it stored itself");
            for (Snapshot snapshot : listed) {
                store.setCurrent(RESTORED, snapshot.name());
                assertEquals(snapshot.name(), store.current(RESTORED).orElseThrow());
            }
            for (Snapshot snapshot : listed) {
                store.add(CREATED, snapshot);
            }
            assertEquals(listed, store.list(CREATED), "the store lists differently what was made on it");
            SnapshotFiles anew = store();
            for (UUID stored : List.of(RESTORED, CREATED)) {
                assertEquals(listed, anew.list(stored), "a store started anew lists differently");
                assertEquals(store.current(stored), anew.current(stored), "a store started anew has another current snapshot");
            }
            clear(snapshots.resolve(RESTORED.toString()));
            clear(snapshots.resolve(CREATED.toString()));
        }
    }

    private static Path stateDir() {
        try {
            Path dir = TestDirectories.create("snapshot-files-fuzz");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A refusal's message, which must say why on one line. */
    private static String oneLine(IOException refusal) {
        String message = refusal.getMessage();
        assertTrue(message != null && !message.isBlank(), "a refusal must say why");
        assertFalse(message.contains("\n") || message.contains("\r"), () -> "a refusal must be one line: " + message);
        return message;
    }

    private static Daemon daemon() {
        try {
            return TestDaemons.at(STATE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static SnapshotFiles store() {
        try {
            return new SnapshotFiles(DAEMON);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void clear(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    if (!path.equals(dir)) {
                        Files.delete(path);
                    }
                }
            }
        }
    }
}
