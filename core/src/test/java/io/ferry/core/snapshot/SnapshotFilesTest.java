package io.ferry.core.snapshot;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import io.ferry.core.daemon.TestDaemons;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The core's snapshot files: listing parents first, staging, commit and discard. */
public class SnapshotFilesTest {
    private static final UUID DOMAIN = UUID.fromString("00000000-0000-4000-8000-0000000000d1");

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private SnapshotFiles store() throws Exception {
        return new SnapshotFiles(TestDaemons.at(folder.getRoot().toPath()));
    }

    /** A snapshot of {@code name}, child of {@code parent} (null: a root), holding no definition. */
    static Snapshot snapshot(String name, String parent) {
        return new Snapshot(name, parent, "<domainsnapshot><name>" + name + "</name>"
                + (parent == null ? "" : "<parent><name>" + parent + "</name></parent>") + "</domainsnapshot>");
    }

    @Test
    public void deepChainNamedChildrenFirstListsParentsFirst() throws Exception {
        SnapshotFiles store = store();
        List<Snapshot> chain = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) { // z09999 is the root: name order visits the deepest snapshot first
            chain.add(snapshot(String.format("z%05d", 9_999 - i), i == 0 ? null : String.format("z%05d", 10_000 - i)));
        }
        store.stage("m1", DOMAIN, chain, "z00000");
        store.commit("m1");
        List<Snapshot> listed = store.list(DOMAIN);
        assertEquals(10_000, listed.size());
        assertEquals("z09999", listed.get(0).name());
        assertEquals("z00000", listed.get(9_999).name());
        assertEquals("z00000", store.current(DOMAIN).orElseThrow());
        assertFalse(Files.exists(folder.getRoot().toPath().resolve("snapshots/.staging/m1")));
    }

    /**
     * Each failed arrival of a guest with snapshots (checked against this host's, of which it had none, then discarded)
     * left its domain's names in the daemon's memory for good: one entry per guest a host ever failed to receive.
     */
    @Test
    public void failedArrivalsLeaveNothingOfTheirDomainsInMemory() throws Exception {
        SnapshotFiles store = store();
        for (int i = 0; i < 200; i++) {
            String migration = UUID.randomUUID().toString();
            store.stage(migration, UUID.randomUUID(), List.of(snapshot("a", null), snapshot("b", "a")), "b");
            store.discard(migration); // the migration failed
        }

        assertEquals("domains whose snapshot names are kept after 200 failed arrivals", 0, store.domainsKnown());
    }

    @Test
    public void aMigrationIdThatIsNoFileNameIsRefusedBeforeAnyFileIsTouched() throws Exception {
        SnapshotFiles store = store();
        for (String id : new String[] {"../../domains", "m/1", "", "m".repeat(65)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> store.stage(id, DOMAIN, List.of(snapshot("a", null)), "a"));
            assertEquals("invalid migration id " + id, e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> store.commit(id));
            assertThrows(IllegalArgumentException.class, () -> store.discard(id));
        }
        assertEquals(List.of(), store.list(DOMAIN));
        assertFalse(Files.exists(folder.getRoot().toPath().resolve("domains")));
    }

    @Test
    public void aStageThatComesAfterItsMigrationWasDiscardedIsRefusedAndLeavesNothing() throws Exception {
        SnapshotFiles store = store();
        store.discard("m3"); // the migration failed while its section's eat still ran past its time limit
        IOException late = assertThrows(IOException.class, () -> store.stage("m3", DOMAIN, List.of(snapshot("a", null)), "a"));
        assertEquals("migration m3 has ended and its staging was discarded: its snapshots are not staged", late.getMessage());
        store.commit("m3");
        assertEquals(List.of(), store.list(DOMAIN));
        Path staging = folder.getRoot().toPath().resolve("snapshots/.staging");
        assertEquals("no pack left behind for a commit that never comes", List.of(),
                Files.exists(staging) ? Files.list(staging).toList() : List.of());
        store.stage("m4", DOMAIN, List.of(snapshot("a", null)), "a"); // another migration stages as ever
        store.commit("m4");
        assertEquals(List.of("a"), store.list(DOMAIN).stream().map(Snapshot::name).toList());
    }

    @Test
    public void discardLeavesNothing() throws Exception {
        SnapshotFiles store = store();
        store.stage("m2", DOMAIN, List.of(snapshot("a", null)), "a");
        store.discard("m2");
        store.commit("m2");
        assertEquals(List.of(), store.list(DOMAIN));
        Path staging = folder.getRoot().toPath().resolve("snapshots/.staging");
        assertEquals(List.of(), Files.list(staging).toList());
    }

    @Test
    public void aMigrationsSnapshotsAreCommittedAsOnePackBesideLocalOnes() throws Exception {
        SnapshotFiles store = store();
        store.add(DOMAIN, snapshot("local", null));
        store.stage("m2", DOMAIN, List.of(snapshot("root", null), snapshot("child", "root")), "child");
        store.commit("m2");
        Path dir = folder.getRoot().toPath().resolve("snapshots").resolve(DOMAIN.toString());
        assertTrue(Files.exists(dir.resolve("migrated-m2.pack")));
        assertFalse(Files.exists(dir.resolve("root.xml")));
        assertEquals(List.of("child", "local", "root"),
                store.list(DOMAIN).stream().map(Snapshot::name).sorted().toList());
        assertEquals("child", store.current(DOMAIN).orElseThrow());
        try {
            store.add(DOMAIN, snapshot("root", null));
            fail("a migrated snapshot's name was taken twice");
        } catch (IOException e) {
            assertEquals("domain snapshot 'root' already exists", e.getMessage());
        }
        store.setCurrent(DOMAIN, "root");
        assertEquals("root", store.current(DOMAIN).orElseThrow());
    }

    @Test
    public void aTruncatedPackIsNamed() throws Exception {
        Path pack = committedPack("m3");
        byte[] bytes = Files.readAllBytes(pack);
        Files.write(pack, java.util.Arrays.copyOf(bytes, bytes.length - 5));
        assertListingRefused("migrated-m3.pack is truncated or damaged: its CRC does not match");
    }

    @Test
    public void aPackDamagedInPlaceIsRefusedByItsCrc() throws Exception {
        Path pack = committedPack("m5");
        String bytes = Files.readString(pack, StandardCharsets.ISO_8859_1);
        Files.writeString(pack, bytes.replace("<name>root</name>", "<name>r00t</name>"), StandardCharsets.ISO_8859_1);
        assertListingRefused("migrated-m5.pack is truncated or damaged: its CRC does not match");
    }

    /**
     * A pack of the first version (no CRC: its count first) whose count or a snapshot's length is negative, or that ends
     * within a snapshot, is refused: read as no snapshots, the domain's would be lost to the listing, and to whatever it
     * writes next.
     */
    @Test
    public void aFirstVersionPackWithANegativeCountOrLengthIsRefused() throws Exception {
        Path dir = Files.createDirectories(folder.getRoot().toPath().resolve("snapshots").resolve(DOMAIN.toString()));
        Files.write(dir.resolve("migrated-m6.pack"), ByteBuffer.allocate(4).putInt(-1).array());
        assertListingRefused("migrated-m6.pack is damaged: -1 snapshots");
        Files.write(dir.resolve("migrated-m6.pack"), ByteBuffer.allocate(8).putInt(1).putInt(-2).array());
        assertListingRefused("migrated-m6.pack is damaged: a snapshot of -2 bytes");
        Files.write(dir.resolve("migrated-m6.pack"), ByteBuffer.allocate(12).putInt(1).putInt(10).array());
        assertListingRefused("migrated-m6.pack is truncated"); // a snapshot of 10 bytes, 4 left
    }

    /** The pack of a migration that brought one snapshot, committed. */
    private Path committedPack(String migrationId) throws Exception {
        SnapshotFiles store = store();
        store.stage(migrationId, DOMAIN, List.of(snapshot("root", null)), "root");
        store.commit(migrationId);
        return folder.getRoot().toPath().resolve("snapshots").resolve(DOMAIN.toString()).resolve("migrated-" + migrationId + ".pack");
    }

    private void assertListingRefused(String ending) throws Exception {
        try {
            store().list(DOMAIN);
            fail("a damaged pack was read");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().endsWith(ending));
        }
    }

    @Test
    public void snapshotsMadeHereAndTheirMarkLiveInOneLogAndSurviveARestart() throws Exception {
        SnapshotFiles store = store();
        store.add(DOMAIN, snapshot("a", null));
        store.add(DOMAIN, snapshot("b", "a"));
        Snapshot described = new Snapshot("c", "b", "<domainsnapshot><name>c</name><description>avant la mise à jour, 更新前 \uD83D\uDCBE"
                + "</description><parent><name>b</name></parent></domainsnapshot>");
        store.add(DOMAIN, described);
        store.setCurrent(DOMAIN, "b");
        Path dir = folder.getRoot().toPath().resolve("snapshots").resolve(DOMAIN.toString());
        assertEquals(List.of(dir.resolve("local.log")), Files.list(dir).toList());
        SnapshotFiles restarted = store();
        assertEquals(List.of("a", "b", "c"), restarted.list(DOMAIN).stream().map(Snapshot::name).toList());
        assertEquals("b", restarted.current(DOMAIN).orElseThrow());
        assertEquals("the XML as it was made, every character", described, restarted.list(DOMAIN).get(2));
    }

    @Test
    public void aTornLastAppendIsLeftOutAndCutOffByTheNext() throws Exception {
        SnapshotFiles store = store();
        store.add(DOMAIN, snapshot("a", null));
        store.add(DOMAIN, snapshot("b", "a"));
        Path log = folder.getRoot().toPath().resolve("snapshots").resolve(DOMAIN.toString()).resolve("local.log");
        byte[] bytes = Files.readAllBytes(log);
        Files.write(log, java.util.Arrays.copyOf(bytes, bytes.length - 3)); // a crash inside b's current mark
        SnapshotFiles restarted = store();
        assertEquals("a snapshot without the mark appended with it", List.of("a"),
                restarted.list(DOMAIN).stream().map(Snapshot::name).toList());
        assertEquals("the mark before the torn one", "a", restarted.current(DOMAIN).orElseThrow());
        restarted.add(DOMAIN, snapshot("b", "a")); // the name is free again
        restarted.add(DOMAIN, snapshot("c", "a"));
        SnapshotFiles again = store();
        assertEquals(List.of("a", "b", "c"), again.list(DOMAIN).stream().map(Snapshot::name).toList());
        assertEquals("c", again.current(DOMAIN).orElseThrow());
    }

    /**
     * A record damaged in the middle of the log (a bad block), with sound appends after it, is no torn append: the
     * log is refused naming where, and nothing is cut off (the next append cut every snapshot after it).
     */
    @Test
    public void aRecordDamagedInTheMiddleOfTheLogRefusesItAndCutsNothingOff() throws Exception {
        SnapshotFiles store = store();
        store.add(DOMAIN, snapshot("a", null));
        store.add(DOMAIN, snapshot("b", "a"));
        store.add(DOMAIN, snapshot("c", "b"));
        Path log = folder.getRoot().toPath().resolve("snapshots").resolve(DOMAIN.toString()).resolve("local.log");
        String text = Files.readString(log, StandardCharsets.ISO_8859_1);
        Files.writeString(log, text.replace("<name>b</name>", "<name>x</name>"), StandardCharsets.ISO_8859_1);
        byte[] damaged = Files.readAllBytes(log);

        SnapshotFiles restarted = store();
        IOException listing = assertThrows(IOException.class, () -> restarted.list(DOMAIN));
        IOException adding = assertThrows(IOException.class, () -> restarted.add(DOMAIN, snapshot("d", "c")));

        assertTrue(listing.getMessage(), listing.getMessage().startsWith(log + " is damaged at byte "));
        assertEquals(listing.getMessage(), adding.getMessage());
        assertArrayEquals("nothing of the log was cut off", damaged, Files.readAllBytes(log));
    }

    @Test
    public void snapshotsOfTheFormerLayoutAreStillRead() throws Exception {
        Path dir = Files.createDirectories(folder.getRoot().toPath().resolve("snapshots").resolve(DOMAIN.toString()));
        Files.writeString(dir.resolve("old.xml"), snapshot("old", null).xml());
        Files.writeString(dir.resolve("current"), "old");
        SnapshotFiles store = store();
        assertEquals("old", store.current(DOMAIN).orElseThrow());
        store.add(DOMAIN, snapshot("new", "old"));
        assertEquals(List.of("old", "new"), store.list(DOMAIN).stream().map(Snapshot::name).toList());
        assertEquals("new", store().current(DOMAIN).orElseThrow());
        try {
            store.add(DOMAIN, snapshot("old", null));
            fail("a name of the former layout was taken twice");
        } catch (IOException e) {
            assertEquals("domain snapshot 'old' already exists", e.getMessage());
        }
    }

    @Test
    public void aStagedSnapshotMustNameItselfAndItsParentAsClaimed() throws Exception {
        SnapshotFiles store = store();
        Snapshot lying = new Snapshot("a", null, snapshot("b", null).xml());
        try {
            store.stage("m4", DOMAIN, List.of(lying), "a");
            fail("a snapshot that names itself otherwise was staged");
        } catch (IOException e) {
            assertEquals("snapshot 'a' of migration m4 names itself 'b' with parent 'null'", e.getMessage());
        }
        Snapshot orphan = new Snapshot("a", null, snapshot("a", "elsewhere").xml());
        try {
            store.stage("m4", DOMAIN, List.of(orphan), "a");
            fail("a snapshot with another parent was staged");
        } catch (IOException e) {
            assertEquals("snapshot 'a' of migration m4 names itself 'a' with parent 'elsewhere'", e.getMessage());
        }
    }

    /**
     * What {@code read} gave is staged without a second parse; anything else, one equal in name and parent but not in
     * XML among it, is read again and refused if it lies.
     */
    @Test
    public void whatTheStoreReadIsStagedAndALieBesideItIsStillRefused() throws Exception {
        SnapshotFiles store = store();
        Snapshot root = store.read(snapshot("r", null).xml());
        Snapshot child = store.read(" <domainsnapshot><parent><name> r </name></parent><name>c</name></domainsnapshot>");
        assertEquals(new Snapshot("c", "r", child.xml()), child);
        Snapshot lying = new Snapshot("c", "r", snapshot("d", "r").xml());
        try {
            store.stage("m5", DOMAIN, List.of(root, lying), "c");
            fail("a snapshot that names itself otherwise was staged beside read ones");
        } catch (IOException e) {
            assertEquals("snapshot 'c' of migration m5 names itself 'd' with parent 'r'", e.getMessage());
        }
        store.stage("m5", DOMAIN, List.of(root, child), "c");
        store.commit("m5");
        assertEquals(List.of(root, child), store.list(DOMAIN));
    }

    /** An incoming snapshot is refused on one line naming what is wrong, and a {@code <parent>} must name one. */
    @Test
    public void anIncomingSnapshotIsReadAsTheStoreReadsOrRefused() throws Exception {
        SnapshotFiles store = store();
        assertEquals(new Snapshot("a-bc", null, "<domainsnapshot><name>a<!-- x -->&#45;<![CDATA[b]]>&#99;</name></domainsnapshot>"),
                store.read("<domainsnapshot><name>a<!-- x -->&#45;<![CDATA[b]]>&#99;</name></domainsnapshot>"));
        String[][] refused = {
            {"<domainsnapshot><name>b</name><parent/></domainsnapshot>", "snapshot 'b' has a <parent> without a <name>"},
            {"<domain><name>b</name></domain>", "a <domain> is not a <domainsnapshot> with a <name>"},
            {"<domainsnapshot><parent><name>b</name></parent></domainsnapshot>", "a <domainsnapshot> is not a <domainsnapshot> with a <name>"},
            {"<domainsnapshot><name>a b</name></domainsnapshot>", "invalid snapshot name 'a b'"},
            {"<domainsnapshot><name>" + "n".repeat(1_000_000) + "</name></domainsnapshot>",
                "invalid snapshot name '" + "n".repeat(128) + "'... (1000000 characters)"},
            {"<domainsnapshot><name>a</name>", "malformed domain snapshot (line 1, column 31): the document ends inside <domainsnapshot>"},
            {"<domainsnapshot><name>a</name>" + "<d>".repeat(65) + "</d>".repeat(65) + "</domainsnapshot>",
                "malformed domain snapshot (line 1, column 223): elements nest deeper than allowed: <d> is at depth 66, over the limit of 65"},
        };
        for (String[] xmlAndWhy : refused) {
            try {
                store.read(xmlAndWhy[0]);
                fail("the store read " + xmlAndWhy[0]);
            } catch (IOException e) {
                assertEquals(xmlAndWhy[1], e.getMessage());
            }
        }
        assertEquals("a definition 64 deep", "a", store.read("<domainsnapshot><name>a</name>" + "<d>".repeat(64) + "</d>".repeat(64)
                + "</domainsnapshot>").name());
    }

    /** A domain that comes back keeps one pack of what it brought, not one per arrival; a pack with others stays. */
    @Test
    public void anArrivingHierarchyDropsTheOlderPacksItHoldsWhole() throws Exception {
        SnapshotFiles store = store();
        Path dir = folder.getRoot().toPath().resolve("snapshots").resolve(DOMAIN.toString());
        store.stage("m1", DOMAIN, List.of(snapshot("a", null)), "a");
        store.commit("m1");
        store.stage("m2", DOMAIN, List.of(snapshot("x", null)), "x");
        store.commit("m2");
        store.stage("m3", DOMAIN, List.of(snapshot("a", null), snapshot("b", "a")), "b");
        store.commit("m3");
        assertEquals(List.of("migrated-m2.pack", "migrated-m3.pack"), packFiles(dir));
        assertEquals(List.of("a", "b", "x"), store.list(DOMAIN).stream().map(Snapshot::name).sorted().toList());
        assertEquals("b", store.current(DOMAIN).orElseThrow());
        store.stage("m4", DOMAIN, List.of(snapshot("a", null), snapshot("b", "a"), snapshot("x", null)), "x");
        store.commit("m4");
        assertEquals(List.of("migrated-m4.pack"), packFiles(dir));
        assertEquals(List.of("a", "b", "x"), store().list(DOMAIN).stream().map(Snapshot::name).sorted().toList());
        assertEquals("x", store().current(DOMAIN).orElseThrow());
    }

    /** Recovery repeats a commit that a crash cut after the pack's move: the rest is done, nothing refused. */
    @Test
    public void aCommitCutAfterThePacksMoveIsCompletedWhenRepeated() throws Exception {
        SnapshotFiles store = store();
        store.stage("m6", DOMAIN, List.of(snapshot("a", null), snapshot("b", "a")), "b");
        Path staging = folder.getRoot().toPath().resolve("snapshots/.staging/m6");
        Path dir = Files.createDirectories(folder.getRoot().toPath().resolve("snapshots").resolve(DOMAIN.toString()));
        Files.move(staging.resolve("snapshots.pack"), dir.resolve("migrated-m6.pack")); // what the crash left
        SnapshotFiles restarted = store();
        restarted.commit("m6");
        assertEquals(List.of("a", "b"), restarted.list(DOMAIN).stream().map(Snapshot::name).toList());
        assertEquals("b", restarted.current(DOMAIN).orElseThrow());
        assertFalse(Files.exists(staging));
    }

    /**
     * The domain stayed defined here after it migrated away, and a snapshot was made here with a name it was given
     * there too. Its return brought the other one: the commit kept both under one name and listed this host's alone,
     * so the migrated snapshot was lost without a word. Its staging (Prepare) is refused instead, naming it.
     */
    @Test
    public void anArrivingSnapshotUnlikeThisHostsOfTheSameNameIsRefusedAtItsStaging() throws Exception {
        SnapshotFiles store = store();
        store.add(DOMAIN, snapshot("a", null));
        Snapshot here = new Snapshot("b", "a", "<domainsnapshot><name>b</name><description>made here</description>"
                + "<parent><name>a</name></parent></domainsnapshot>");
        store.add(DOMAIN, here);
        Snapshot there = snapshot("b", "a");

        IOException refused = assertThrows(IOException.class, () -> store.stage("m21", DOMAIN, List.of(snapshot("a", null), there), "b"));
        assertEquals("domain snapshot 'b' that migration m21 brings is not the snapshot 'b' this host has of the domain:"
                + " committing it would lose one of them", refused.getMessage());
        assertFalse(Files.exists(folder.getRoot().toPath().resolve("snapshots/.staging/m21")));
        assertEquals(List.of(snapshot("a", null), here), store.list(DOMAIN));
        assertEquals("b", store.current(DOMAIN).orElseThrow());
    }

    /** What is staged is listed by its migration until it is committed or discarded (a start discards what no journal knows). */
    @Test
    public void theStagedMigrationsAreListedUntilCommittedOrDiscarded() throws Exception {
        SnapshotFiles store = store();
        assertEquals(List.of(), store.staged());
        store.stage("m31", DOMAIN, List.of(snapshot("a", null)), "a");
        store.stage("m32", DOMAIN, List.of(snapshot("a", null)), "a");
        assertEquals(List.of("m31", "m32"), store.staged());
        store.commit("m31");
        store.discard("m32");
        assertEquals(List.of(), store.staged());
    }

    /**
     * An arrival's snapshots could not be committed (a sync failed, as on a full disk; they stay staged for the next
     * try), and a snapshot was then made here under the name of a migrated one: the next commit kept both under one
     * name and listed this host's, so the migrated snapshot was lost. A change of the domain's snapshots commits the
     * arrival's first.
     */
    @Test
    public void aSnapshotIsMadeOnlyAfterTheArrivalsSnapshotsThatFailedToCommit() throws Exception {
        Path snapshots = folder.getRoot().toPath().resolve("snapshots");
        boolean[] full = {false};
        SnapshotFiles store = new SnapshotFiles(folder.getRoot().toPath(), HardenedXmlParser.DEFAULT_MAX_BYTES,
                HardenedXmlParser.DEFAULT_MAX_DEPTH, path -> {
                    if (full[0] && path.equals(snapshots)) {
                        throw new IOException("No space left on device");
                    }
                });
        store.stage("m40", DOMAIN, List.of(snapshot("a", null)), "a");
        full[0] = true;
        assertThrows(IOException.class, () -> store.commit("m40"));
        full[0] = false;

        Snapshot here = new Snapshot("a", null, "<domainsnapshot><name>a</name><description>made here</description></domainsnapshot>");
        IOException exists = assertThrows(IOException.class, () -> store.add(DOMAIN, here));
        assertEquals("domain snapshot 'a' already exists", exists.getMessage());
        store.commit("m40"); // as the next start repeats it: nothing left to do
        assertEquals(List.of(snapshot("a", null)), store.list(DOMAIN));
        assertEquals(List.of(), store.staged());
    }

    /** The same snapshots coming back (a guest migrating to and fro) are no conflict. */
    @Test
    public void snapshotsThatComeBackAsTheyLeftAreStagedAndCommitted() throws Exception {
        SnapshotFiles store = store();
        store.add(DOMAIN, snapshot("a", null));
        store.stage("m22", DOMAIN, List.of(snapshot("a", null), snapshot("b", "a")), "b");
        store.commit("m22");
        assertEquals(List.of(snapshot("a", null), snapshot("b", "a")), store.list(DOMAIN));
        assertEquals("b", store.current(DOMAIN).orElseThrow());
    }

    /** What a power cut may leave of an unsynced staging is refused at its commit, not committed as no snapshots. */
    @Test
    public void aStagingMissingAFileFailsItsCommitNamingTheFileAndCommitsNothing() throws Exception {
        SnapshotFiles store = store();
        for (String file : List.of("domain", "snapshots.pack")) {
            String id = "m-" + file.replace('.', '-');
            store.stage(id, DOMAIN, List.of(snapshot("a", null)), "a");
            Path missing = folder.getRoot().toPath().resolve("snapshots/.staging").resolve(id).resolve(file);
            Files.delete(missing);

            IOException e = assertThrows(IOException.class, () -> store.commit(id));

            assertEquals("the staged snapshots of migration " + id + " are incomplete, none of them is committed: " + missing
                    + " is missing", e.getMessage());
            assertEquals(List.of(), store.list(DOMAIN));
            assertEquals(Optional.empty(), store.current(DOMAIN));
        }
    }

    @Test
    public void aStagedPackCutShortFailsItsCommitNamingItAndCommitsNothing() throws Exception {
        SnapshotFiles store = store();
        store.stage("m8", DOMAIN, List.of(snapshot("a", null), snapshot("b", "a")), "b");
        Path pack = folder.getRoot().toPath().resolve("snapshots/.staging/m8/snapshots.pack");
        byte[] bytes = Files.readAllBytes(pack);
        Files.write(pack, Arrays.copyOf(bytes, bytes.length / 2));

        IOException e = assertThrows(IOException.class, () -> store.commit("m8"));

        assertEquals("the staged snapshots of migration m8 are incomplete, none of them is committed: " + pack
                + " is truncated or damaged: its CRC does not match", e.getMessage());
        assertEquals(List.of(), store.list(DOMAIN));
        assertEquals(Optional.empty(), store.current(DOMAIN));
    }

    /** Recovery repeats a commit that a crash cut as it deleted its staging (the domain file last): nothing is refused. */
    @Test
    public void aCommitCutAsItDeletedItsStagingIsDoneWhenRepeated() throws Exception {
        SnapshotFiles store = store();
        store.stage("m9", DOMAIN, List.of(snapshot("a", null)), "a");
        store.commit("m9");
        Path staging = Files.createDirectories(folder.getRoot().toPath().resolve("snapshots/.staging/m9")); // what the crash left

        store().commit("m9");

        assertEquals(List.of("a"), store().list(DOMAIN).stream().map(Snapshot::name).toList());
        assertFalse(Files.exists(staging));
    }

    private static List<String> packFiles(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".pack")).sorted().toList();
        }
    }

    /** The store reads a snapshot's first name and its first parent's first name, all their text, trimmed. */
    @Test
    public void aSnapshotIsNamedByItsFirstNameAndItsFirstParentsFirstName() throws Exception {
        Path dir = Files.createDirectories(folder.getRoot().toPath().resolve("snapshots").resolve(DOMAIN.toString()));
        Files.writeString(dir.resolve("a.xml"), "<domainsnapshot><description><name>not this</name></description>"
                + "<name> a<!-- a comment --><![CDATA[-1]]>\n</name><name>nor this</name></domainsnapshot>");
        Files.writeString(dir.resolve("b.xml"), "<domainsnapshot><parent><uuid/><name>a<b>-</b>1</name><name>x</name></parent>"
                + "<parent><name>y</name></parent><name>b</name></domainsnapshot>");
        Files.writeString(dir.resolve("c.xml"), "<domainsnapshot><name>c</name><parent><description><name>z</name>"
                + "</description></parent><parent><name>b</name></parent></domainsnapshot>");
        List<Snapshot> listed = store().list(DOMAIN);
        assertEquals(List.of("a-1", "b", "c"), listed.stream().map(Snapshot::name).toList());
        assertEquals(java.util.Arrays.asList(null, "a-1", null), listed.stream().map(Snapshot::parent).toList());
    }

    @Test
    public void aSnapshotTheStoreCannotReadIsRefusedNamingWhy() throws Exception {
        SnapshotFiles store = store();
        assertRefused(store, "<snapshot><name>a</name></snapshot>", "snapshot 'a' is not a <domainsnapshot> with a <name>");
        assertRefused(store, "<domainsnapshot><parent><name>b</name></parent></domainsnapshot>",
                "snapshot 'a' is not a <domainsnapshot> with a <name>");
        assertRefused(store, "<domainsnapshot><name>a</name>", "snapshot 'a': malformed domain snapshot (line 1, column 31):"
                + " the document ends inside <domainsnapshot>");
        assertRefused(store, "<!DOCTYPE d [<!ENTITY e 'a'>]><domainsnapshot><name>&e;</name></domainsnapshot>",
                "snapshot 'a': malformed domain snapshot (line 1, column 1): a DOCTYPE is not allowed (DTDs and entities are refused)");
        assertRefused(store, "<domainsnapshot><name>a</name><parent><name>../b</name></parent></domainsnapshot>",
                "snapshot 'a': invalid snapshot name '../b'");
        assertEquals(List.of(), store.list(DOMAIN));
    }

    private static void assertRefused(SnapshotFiles store, String xml, String why) {
        try {
            store.add(DOMAIN, new Snapshot("a", null, xml));
            fail("the store took " + xml);
        } catch (IOException e) {
            assertEquals(why, e.getMessage());
        }
    }
}
