package io.ferry.plugin.snapshots;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Phase;
import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import io.ferry.testkit.InMemorySnapshotStore;
import io.ferry.testkit.SectionMetadata;
import io.ferry.testkit.TestSectionContext;
import io.ferry.testkit.TwoHosts;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.Test;

/** The snapshots section's bake (descriptor and side stream) and eat (bounded read, checks, staging). */
public class SnapshotSideStreamTest {
    private final InMemorySnapshotStore source = new InMemorySnapshotStore();
    private final InMemorySnapshotStore destination = new InMemorySnapshotStore();

    static Snapshot snapshot(String name, String parent) {
        String xml = "<domainsnapshot><name>" + name + "</name><state>running</state>"
                + (parent == null ? "" : "<parent><name>" + parent + "</name></parent>")
                + "<domain type='sim'><name>vm1</name></domain></domainsnapshot>";
        return new Snapshot(name, parent, xml);
    }

    private SnapshotDescriptor bake(FakeContext context, List<Snapshot> snapshots, String current) throws Exception {
        source.snapshots.put(context.domainUuid(), snapshots);
        source.current.put(context.domainUuid(), current);
        return new SnapshotsSection(source).bake(context).orElseThrow();
    }

    private void eat(FakeContext context, SnapshotDescriptor descriptor) throws Exception {
        new SnapshotsSection(destination).eat(context, descriptor);
    }

    @Test
    public void treeTravelsWholeAndIsStagedParentsFirstWithItsCurrentSnapshot() throws Exception {
        List<Snapshot> tree = List.of(snapshot("root", null), snapshot("child", "root"), snapshot("grandchild", "child"),
                snapshot("sibling", "root"));
        FakeContext context = new FakeContext();
        SnapshotDescriptor descriptor = bake(context, tree, "grandchild");
        assertEquals(4, descriptor.count());
        assertTrue(descriptor.digest(), descriptor.digest().matches("sha256:[0-9a-f]{64}"));
        eat(context, descriptor);
        List<Snapshot> staged = destination.staged.get("m1");
        assertEquals(List.of("root", "child", "sibling", "grandchild"), staged.stream().map(Snapshot::name).toList());
        assertEquals(tree.get(2), staged.get(3));
        assertEquals("grandchild", destination.stagedCurrent.get("m1"));
    }

    @Test
    public void aCheckStagesNothing() throws Exception {
        FakeContext context = new FakeContext();
        SnapshotDescriptor descriptor = bake(context, List.of(snapshot("root", null), snapshot("child", "root")), "child");
        context.checkOnly();
        eat(context, descriptor);
        assertEquals(java.util.Map.of(), destination.staged);
        assertEquals(List.of("stage 2 snapshots (current: child)"), context.wouldDo);
    }

    @Test
    public void betweenTwoHostsTheBodiesTakeTheSideStreamAndTheDescriptorTheCookie() throws Exception {
        SnapshotsSection atSource = new SnapshotsSection(source);
        source.snapshots.put(TestSectionContext.DOMAIN_UUID, List.of(snapshot("root", null), snapshot("child", "root")));
        source.current.put(TestSectionContext.DOMAIN_UUID, "child");
        TwoHosts.Migration<SnapshotDescriptor> migration = TwoHosts.between(atSource, SectionMetadata.of(SnapshotsSection.class),
                new SnapshotsSection(destination), SectionMetadata.of(SnapshotsSection.class)).migrate();
        assertTrue(migration.cookie(Phase.BEGIN).orElseThrow().contains("<feature name='snapshots'/>"));
        assertEquals(List.of("root", "child"), destination.staged.get("test").stream().map(Snapshot::name).toList());
        assertEquals("child", destination.stagedCurrent.get("test"));
    }

    @Test
    public void tenThousandDeepChainIsFine() throws Exception {
        List<Snapshot> chain = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            chain.add(snapshot("s" + i, i == 0 ? null : "s" + (i - 1)));
        }
        java.util.Collections.reverse(chain); // children before parents in the stream
        FakeContext context = new FakeContext();
        eat(context, bake(context, chain, "s9999"));
        assertEquals("s0", destination.staged.get("m1").get(0).name());
        assertEquals("s9999", destination.staged.get("m1").get(9_999).name());
    }

    /**
     * A domain whose snapshots make a stream no Ferry daemon takes (each holds 64 MiB of incoming ones at once, and
     * each snapshot keeps the whole definition: 11,000 of 6 KB) is refused at Begin, naming it, and offers no stream.
     * It was offered, and every destination failed it mid-stream telling the operator to migrate again.
     */
    @Test
    public void snapshotsNoDaemonCanTakeAreRefusedAtBegin() throws Exception {
        List<Snapshot> many = new ArrayList<>();
        for (int i = 0; i < 11_000; i++) {
            String name = String.format("s%05d", i);
            many.add(new Snapshot(name, null, "<domainsnapshot><name>" + name + "</name><domain type='sim'><name>vm"
                    + "</name>" + " ".repeat(6_000) + "</domain></domainsnapshot>"));
        }
        FakeContext context = new FakeContext();

        CookieException e = assertThrows(CookieException.class, () -> bake(context, many, "s10999"));

        // 4 + 11,000 x (5 + 6,095) bytes of stream, and 512 bytes a snapshot beside
        assertEquals("domain vm cannot migrate: its 11000 snapshots make a snapshots stream of 67100004 bytes, which a"
                + " destination holds with 512 bytes a snapshot beside their text, 72732000 bytes in all: over the"
                + " 67108864 bytes of incoming snapshots every Ferry daemon of this build holds at once, so no"
                + " destination of this build can take them; " + IncomingBudget.FEWER_SNAPSHOTS, e.getMessage());
        assertEquals(null, context.stream.offered);
    }

    @Test
    public void moreSnapshotsThanAnyDaemonTakesAreRefusedAtBeginByTheirCount() throws Exception {
        List<Snapshot> many = new ArrayList<>();
        for (int i = 0; i <= IncomingBudget.BYTES / IncomingBudget.PER_SNAPSHOT; i++) {
            many.add(snapshot("s" + i, null));
        }
        FakeContext context = new FakeContext();

        CookieException e = assertThrows(CookieException.class, () -> bake(context, many, null));

        assertEquals("domain vm cannot migrate: its 131073 snapshots are more than any Ferry daemon of this build takes"
                + " in one migration (at most 131072: 512 bytes each beside their text within the 67108864 bytes of"
                + " incoming snapshots it holds at once); " + IncomingBudget.FEWER_SNAPSHOTS, e.getMessage());
        assertEquals(null, context.stream.offered);
    }

    @Test
    public void noSnapshotsNoDescriptorNoStream() throws Exception {
        FakeContext context = new FakeContext();
        assertFalse(new SnapshotsSection(source).bake(context).isPresent());
        assertEquals(null, context.stream.offered);
    }

    @Test
    public void countOrDigestMismatchIsRefusedAndNothingIsStaged() throws Exception {
        FakeContext context = new FakeContext();
        SnapshotDescriptor descriptor = bake(context, List.of(snapshot("a", null), snapshot("b", "a")), "b");
        assertRefused("snapshots stream carries 2 snapshots but the migration cookie's descriptor says 3", context,
                new SnapshotDescriptor(3, descriptor.digest()));
        String other = "sha256:" + "0".repeat(64);
        CookieException e = assertThrows(CookieException.class, () -> eat(context, new SnapshotDescriptor(2, other)));
        assertEquals("snapshots stream digest " + descriptor.digest() + " does not match the migration cookie's " + other,
                e.getMessage());
        byte[] bytes = context.stream.bytes();
        context.stream.bytes = Arrays.copyOf(bytes, bytes.length - 1);
        assertRefused("snapshots stream ended early: expected 2 snapshots", context, descriptor);
        context.stream.bytes = Arrays.copyOf(bytes, bytes.length + 1);
        assertRefused("snapshots stream carries data after its 2 snapshots", context, descriptor);
        assertTrue(destination.staged.isEmpty());
    }

    /** A stream that flags two snapshots current (a hostile source's) is refused, not read as its last one. */
    @Test
    public void twoCurrentSnapshotsAreRefused() throws Exception {
        FakeContext context = new FakeContext();
        SnapshotDescriptor descriptor = bake(context, List.of(snapshot("a", null), snapshot("b", "a")), "b");
        byte[] bytes = context.stream.bytes();
        assertEquals("the first snapshot is not flagged current", 0, bytes[4]);
        bytes[4] = 1;
        context.stream.bytes = bytes;
        assertRefused("snapshots stream flags more than one current snapshot", context, descriptor);
    }

    /**
     * A peer's snapshot whose bytes are not UTF-8 (C3 28 in its description, with a digest of those bytes) was staged as
     * other text (U+FFFD in their place); Ferry's XML reader refuses such bytes, and so now does the stream.
     */
    @Test
    public void aSnapshotThatIsNotUtf8IsRefusedNotStagedAsOtherText() throws Exception {
        FakeContext context = new FakeContext();
        bake(context, List.of(snapshot("a", null), new Snapshot("b", "a", "<domainsnapshot><name>b</name><parent><name>a"
                + "</name></parent><description>x!</description></domainsnapshot>")), "b");
        byte[] bytes = context.stream.bytes();
        int at = indexOf(bytes, utf8("x!</"));
        bytes[at] = (byte) 0xC3;
        bytes[at + 1] = 0x28;
        context.stream.bytes = bytes;
        assertRefused("snapshots stream: snapshot 2 is not UTF-8: its byte 75 is 0xC3, which is not UTF-8 there", context,
                matching(2, bytes));
        bytes[at] = (byte) 'x';
        bytes[at + 1] = (byte) '!';
        bytes[bytes.length - 1] = (byte) 0xC3; // a sequence cut short by the snapshot's end
        assertRefused("snapshots stream: snapshot 2 is not UTF-8: its byte 107 is 0xC3, which is not UTF-8 there", context,
                matching(2, bytes));
    }

    @Test
    public void boundsAreCheckedBeforeAnythingIsAllocated() throws Exception {
        FakeContext context = new FakeContext();
        context.stream.bytes = stream(2_000_000);
        assertRefused("snapshots stream announces 2000000 snapshots (limit 1000000)", context, new SnapshotDescriptor(1, "d"));
        assertRefused("migration cookie announces 2000000 snapshots (limit 1000000)", context, new SnapshotDescriptor(2_000_000, "d"));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream data = new DataOutputStream(bytes);
        data.writeInt(1);
        data.writeByte(0);
        data.writeInt(Integer.MAX_VALUE);
        context.stream.bytes = bytes.toByteArray();
        assertRefused("snapshots stream: snapshot 1 is malformed (flag 0, length 2147483647, limit 4194304)", context,
                new SnapshotDescriptor(1, "d"));
    }

    @Test
    public void hierarchyMustBeAForestOfWellFormedSnapshots() throws Exception {
        assertHierarchyRefused("snapshot 'b' has parent 'gone', which the snapshots stream does not carry",
                snapshot("a", null), snapshot("b", "gone"));
        assertHierarchyRefused("snapshot 'a' is part of a parent cycle in the snapshots stream",
                snapshot("r", null), snapshot("a", "c"), snapshot("b", "a"), snapshot("c", "b"));
        assertHierarchyRefused("snapshot 'a' is part of a parent cycle in the snapshots stream", snapshot("a", "a"));
        assertHierarchyRefused("snapshots stream carries snapshot 'a' twice", snapshot("a", null), snapshot("a", null));
        assertHierarchyRefused("snapshots stream: snapshot 2: a <domain> is not a <domainsnapshot> with a <name>",
                snapshot("a", null), new Snapshot("x", null, "<domain><name>x</name></domain>"));
        assertHierarchyRefused("snapshots stream: snapshot 1: snapshot 'b' has a <parent> without a <name>",
                new Snapshot("b", null, "<domainsnapshot><name>b</name><parent/></domainsnapshot>"));
        assertHierarchyRefused("snapshots stream: snapshot 1: invalid snapshot name '../b'",
                new Snapshot("b", null, "<domainsnapshot><name>../b</name></domainsnapshot>"));
        FakeContext context = new FakeContext();
        SnapshotDescriptor descriptor = bake(context, List.of(new Snapshot("x", null,
                "<!DOCTYPE d [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><domainsnapshot><name>&e;</name></domainsnapshot>")), null);
        CookieException e = assertThrows(CookieException.class, () -> eat(context, descriptor));
        assertEquals("snapshots stream: snapshot 1: malformed domain snapshot (line 1, column 1): a DOCTYPE is not allowed"
                + " (DTDs and entities are refused)", e.getMessage());
    }

    @Test
    public void aDeeplyNestedSnapshotIsRefusedNotOverflowingTheStack() throws Exception {
        // 100,000 levels (0.7 MB, within the 4 MiB per snapshot) made DOM overflow the stack reading <name>; the
        // store's reader refuses nesting anywhere past the core's limit, where it starts
        String nested = "<x>".repeat(100_000) + "a" + "</x>".repeat(100_000);
        for (String deep : List.of("<domainsnapshot><name>" + nested + "</name></domainsnapshot>",
                "<domainsnapshot><name>a</name><description>" + nested + "</description></domainsnapshot>")) {
            FakeContext context = new FakeContext();
            CookieException e = assertThrows(CookieException.class,
                    () -> eat(context, bake(context, List.of(new Snapshot("a", null, deep)), null)));
            assertTrue(e.getMessage(), e.getMessage().startsWith("snapshots stream: snapshot 1: malformed domain snapshot (line 1, column "));
            assertTrue(e.getMessage(), e.getMessage().endsWith("elements nest deeper than allowed: <x> is at depth 66, over the limit of 65"));
            assertTrue(destination.staged.isEmpty());
        }
    }

    private void assertHierarchyRefused(String message, Snapshot... snapshots) throws Exception {
        FakeContext context = new FakeContext();
        assertRefused(message, context, bake(context, List.of(snapshots), null));
    }

    private void assertRefused(String message, FakeContext context, SnapshotDescriptor descriptor) {
        CookieException e = assertThrows(CookieException.class, () -> eat(context, descriptor));
        assertEquals(message, e.getMessage());
        assertTrue(destination.staged.isEmpty());
    }

    private static byte[] stream(int count) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new DataOutputStream(bytes).writeInt(count);
        return bytes.toByteArray();
    }

    /** A peer's descriptor of {@code bytes}: their count and digest. */
    private static SnapshotDescriptor matching(int count, byte[] bytes) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
        return new SnapshotDescriptor(count, "sha256:" + HexFormat.of().formatHex(digest));
    }

    private static int indexOf(byte[] bytes, byte[] part) {
        for (int i = 0; i + part.length <= bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + part.length, part, 0, part.length)) {
                return i;
            }
        }
        throw new AssertionError("not found");
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
