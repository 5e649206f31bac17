package io.ferry.core.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ferry.api.snapshot.SnapshotStore.Snapshot;
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
 * The snapshot store's reader on a damaged state directory: a {@code NAME.xml} and a {@code migrated-ID.pack}
 * holding hostile bytes are listed or refused with a one-line {@link IOException}, and what the store lists it
 * can store again: staged and committed for another domain (what a migration's destination does) it lists
 * the same there, and each of them can be made the current one there.
 * Seeds and kept findings: {@code src/test/resources/io/ferry/core/snapshot/SnapshotFilesFuzzTestInputs/}.
 */
class SnapshotFilesFuzzTest {
    private static final UUID AS_FILE = UUID.fromString("00000000-0000-4000-8000-0000000000f1");
    private static final UUID AS_PACK = UUID.fromString("00000000-0000-4000-8000-0000000000f2");
    private static final UUID RESTORED = UUID.fromString("00000000-0000-4000-8000-0000000000f3");
    private static final Path STATE = stateDir();
    private static final SnapshotFiles STORE = store();

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
        for (UUID domain : List.of(AS_FILE, AS_PACK)) {
            List<Snapshot> listed;
            try {
                listed = STORE.list(domain);
            } catch (IOException e) {
                String message = e.getMessage();
                assertTrue(message != null && !message.isBlank(), "a refusal must say why");
                assertFalse(message.contains("\n") || message.contains("\r"), () -> "a refusal must be one line: " + message);
                assertTrue(message.contains("fuzz.xml") || message.contains(".pack"), () -> "a refusal must name the file: " + message);
                continue;
            }
            STORE.stage("fuzz", RESTORED, listed, null);
            STORE.commit("fuzz");
            assertEquals(listed, STORE.list(RESTORED), "the store lists differently what it stored itself");
            for (Snapshot snapshot : listed) {
                STORE.setCurrent(RESTORED, snapshot.name());
                assertEquals(snapshot.name(), STORE.current(RESTORED).orElseThrow());
            }
            clear(snapshots.resolve(RESTORED.toString()));
        }
    }

    private static Path stateDir() {
        try {
            Path dir = Files.createTempDirectory("snapshot-files-fuzz");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static SnapshotFiles store() {
        try {
            return new SnapshotFiles(TestDaemons.at(STATE));
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
