package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ControlClient;
import io.ferry.protocol.HttpPeer;
import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationFlags;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Snapshot metadata migrating between two real daemons: the whole hierarchy over the side stream, live and
 * offline; refused up front by a destination without the plug-in; nothing left on the destination when the
 * migration is cancelled after Prepare; none left by a transient arrival destroyed there.
 */
public class SnapshotMigrationIT {
    private static final String TREE = "root\n  |\n  +- child\n  |   |\n  |   +- grandchild\n  |     \n  +- sibling\n    \n";

    private static DaemonProcess source;
    private static DaemonProcess destination;
    private static DaemonProcess withoutPlugin;

    @BeforeClass
    public static void startDaemons() throws Exception {
        Path work = Files.createDirectories(Installation.WORK.resolve("snapshots-" + System.nanoTime()));
        String leases = Files.createDirectories(work.resolve("leases")).toString();
        Path home = copyWithoutSnapshotsPlugin(work.resolve("ferry-without-snapshots"));
        source = DaemonProcess.start("snap-src", "--lease-dir", leases);
        destination = DaemonProcess.start("snap-dst", "--lease-dir", leases);
        withoutPlugin = DaemonProcess.start(home, "snap-old", "--lease-dir", leases);
        source.url();
        destination.url();
        withoutPlugin.url();
    }

    @AfterClass
    public static void stopDaemons() throws Exception {
        for (DaemonProcess daemon : new DaemonProcess[] {source, destination, withoutPlugin}) {
            if (daemon != null) {
                daemon.close();
            }
        }
    }

    @Test
    public void liveMigrationCarriesTheWholeTreeAndTheSourceKeepsItsOwn() throws Exception {
        String src = source.url();
        startVm(src, "snap-live", "00000000-0000-4000-8000-00000000a001");
        makeTree(src, "snap-live");
        String table = Installation.ferryOkAt(src, "snapshot-list", "snap-live");
        assertTrue(table, table.startsWith(" Name         Creation Time               State\n"));
        assertTrue(table, table.matches("(?s).*\n grandchild   \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d [+-]\\d{4}   running\n.*"));

        Installation.ferryOkAt(src, "migrate", "--live", "snap-live", destination.url());

        String dst = destination.url();
        assertEquals("running (migrated)", field(Installation.ferryOkAt(dst, "dominfo", "snap-live"), "State"));
        for (String host : List.of(src, dst)) {
            assertEquals(host, TREE, Installation.ferryOkAt(host, "snapshot-list", "snap-live", "--tree"));
            assertEquals(host, "sibling\n", Installation.ferryOkAt(host, "snapshot-current", "snap-live", "--name"));
            assertEquals(table, Installation.ferryOkAt(host, "snapshot-list", "snap-live"));
        }
        assertEquals(Installation.ferryOkAt(src, "snapshot-current", "snap-live"), Installation.ferryOkAt(dst, "snapshot-current", "snap-live"));
        for (String snapshot : List.of("root", "child", "grandchild", "sibling")) {
            String xml = Installation.ferryOkAt(src, "snapshot-dumpxml", "snap-live", snapshot);
            assertTrue(xml, xml.contains("<name>" + snapshot + "</name>") && xml.contains("<domain type='sim'>"));
            assertEquals(xml, Installation.ferryOkAt(dst, "snapshot-dumpxml", "snap-live", snapshot));
        }
        assertNoStaging(destination);
        // the stream written by the registration whose Begin offered it: no bake again (DeployHotSwapIT updates it)
        assertFalse(source.log(), source.log().contains("since Begin offered its stream"));
    }

    @Test
    public void peerToPeerTunnelledMigrationCarriesSnapshots() throws Exception {
        String src = source.url();
        startVm(src, "snap-p2p", "00000000-0000-4000-8000-00000000a006");
        Installation.ferryOkAt(src, "snapshot-create-as", "snap-p2p", "one");
        Installation.ferryOkAt(src, "snapshot-create-as", "snap-p2p", "two");

        Installation.ferryOkAt(src, "migrate", "--live", "--p2p", "--tunnelled", "snap-p2p", destination.url());

        String dst = destination.url();
        assertEquals("running (migrated)", field(Installation.ferryOkAt(dst, "dominfo", "snap-p2p"), "State"));
        assertEquals("one\n  |\n  +- two\n    \n", Installation.ferryOkAt(dst, "snapshot-list", "snap-p2p", "--tree"));
        assertEquals(Installation.ferryOkAt(src, "snapshot-current", "snap-p2p"), Installation.ferryOkAt(dst, "snapshot-current", "snap-p2p"));
        assertNoStaging(destination);
    }

    @Test
    public void destinationWithoutThePluginRefusesUpFrontAndKeepsNothing() throws Exception {
        String src = source.url();
        startVm(src, "snap-refused", "00000000-0000-4000-8000-00000000a002");
        makeTree(src, "snap-refused");

        Installation.Result refused = Installation.ferry("-c", src, "migrate", "--live", "snap-refused", withoutPlugin.url());
        assertEquals(refused.toString(), 1, refused.exit());
        assertTrue(refused.toString(), refused.err().contains("Unknown migration cookie feature snapshots"));

        assertEquals("running (booted)", field(Installation.ferryOkAt(src, "dominfo", "snap-refused"), "State"));
        assertEquals(TREE, Installation.ferryOkAt(src, "snapshot-list", "snap-refused", "--tree"));
        assertFalse(Installation.ferryOkAt(withoutPlugin.url(), "list", "--all").contains("snap-refused"));
        assertNoStaging(withoutPlugin);
        assertFalse(Files.exists(withoutPlugin.stateDir.resolve("snapshots/00000000-0000-4000-8000-00000000a002")));
    }

    @Test
    public void offlineMigrationCarriesSnapshots() throws Exception {
        String src = source.url();
        String uuid = "00000000-0000-4000-8000-00000000a003";
        Installation.ferryOkAt(src, "define", domainXml("snap-offline", uuid).toString());
        Installation.ferryOkAt(src, "snapshot-create-as", "snap-offline", "before", "--description", "shut off");
        Installation.ferryOkAt(src, "snapshot-create-as", "snap-offline", "after");

        Installation.ferryOkAt(src, "migrate", "--offline", "--persistent", "snap-offline", destination.url());

        String dst = destination.url();
        assertTrue(Installation.ferryOkAt(dst, "dominfo", "snap-offline"), field(Installation.ferryOkAt(dst, "dominfo", "snap-offline"), "State").startsWith("shut off"));
        String tree = "before\n  |\n  +- after\n    \n";
        assertEquals(tree, Installation.ferryOkAt(dst, "snapshot-list", "snap-offline", "--tree"));
        assertEquals(tree, Installation.ferryOkAt(src, "snapshot-list", "snap-offline", "--tree"));
        assertEquals("after\n", Installation.ferryOkAt(dst, "snapshot-current", "snap-offline", "--name"));
        String before = Installation.ferryOkAt(dst, "snapshot-dumpxml", "snap-offline", "before");
        assertTrue(before, before.contains("<description>shut off</description>") && before.contains("<state>shutoff</state>"));
        assertEquals(Installation.ferryOkAt(src, "snapshot-dumpxml", "snap-offline", "before"), before);
        assertNoStaging(destination);
    }

    @Test
    public void cancelledAfterPrepareLeavesNothingOnTheDestination() throws Exception {
        String src = source.url();
        String uuid = "00000000-0000-4000-8000-00000000a004";
        startVm(src, "snap-cancel", uuid);
        makeTree(src, "snap-cancel");
        HttpPeer from = new HttpPeer(new ControlClient(src));
        HttpPeer to = new HttpPeer(new ControlClient(destination.url()));
        MigrationFlags live = new MigrationFlags(true, false, false, false, false, false, false);

        Messages.Begun begun = from.begin(new Messages.Begin("snap-cancel", live, null, null, 0));
        assertTrue(begun.cookie(), begun.cookie().contains("<feature name='snapshots'/>"));
        assertTrue(begun.cookie(), begun.cookie().matches("(?s).*<snapshots count='4' digest='sha256:[0-9a-f]{64}'/>.*"));
        to.prepare(new Messages.Prepare(begun.id(), begun.key(), live, begun.domainXml(), begun.cookie(), begun.sections(), from.uri()));
        Path staged = destination.stateDir.resolve("snapshots/.staging").resolve(begun.id());
        assertTrue("Prepare staged the snapshots", Files.exists(staged.resolve("snapshots.pack")));

        to.finish(new Messages.Finish(begun.id(), begun.key(), true, null));
        from.confirm(new Messages.Confirm(begun.id(), begun.key(), true, null));

        assertFalse(Installation.ferryOkAt(destination.url(), "list", "--all").contains("snap-cancel"));
        assertNoStaging(destination);
        assertFalse(Files.exists(destination.stateDir.resolve("snapshots").resolve(uuid)));
        assertEquals("running (booted)", field(Installation.ferryOkAt(src, "dominfo", "snap-cancel"), "State"));
        assertEquals(TREE, Installation.ferryOkAt(src, "snapshot-list", "snap-cancel", "--tree"));
    }

    @Test
    public void destinationRestartedAfterPrepareOfAnOfflineMigrationDropsWhatItStaged() throws Exception {
        String src = source.url();
        String uuid = "00000000-0000-4000-8000-00000000a005";
        Installation.ferryOkAt(src, "define", domainXml("snap-restart", uuid).toString());
        Installation.ferryOkAt(src, "snapshot-create-as", "snap-restart", "only");
        String leases = Files.createDirectories(Installation.WORK.resolve("restart-leases-" + System.nanoTime())).toString();
        DaemonProcess target = DaemonProcess.start("snap-restart", "--lease-dir", leases);
        try {
            // up before Begin: this test drives by hand, with no keepalive, and the source gives up on a silent driver
            String targetUrl = target.url();
            HttpPeer from = new HttpPeer(new ControlClient(src));
            MigrationFlags offline = new MigrationFlags(false, false, false, true, true, false, false);
            Messages.Begun begun = from.begin(new Messages.Begin("snap-restart", offline, null, null, 0));
            new HttpPeer(new ControlClient(targetUrl)).prepare(new Messages.Prepare(begun.id(), begun.key(), offline, begun.domainXml(),
                    begun.cookie(), begun.sections(), from.uri()));
            assertTrue(Files.exists(target.stateDir.resolve("snapshots/.staging").resolve(begun.id()).resolve("snapshots.pack")));

            target = target.restart();
            String url = target.url();
            DaemonProcess restarted = target;
            Poll.until("the restarted destination to drop what migration " + begun.id() + " staged",
                    () -> !Files.exists(restarted.stateDir.resolve("snapshots/.staging").resolve(begun.id())));
            assertFalse(Installation.ferryOkAt(url, "list", "--all").contains("snap-restart"));
            assertNoStaging(target);
            from.confirm(new Messages.Confirm(begun.id(), begun.key(), true, null));
            assertEquals("only\n", Installation.ferryOkAt(src, "snapshot-current", "snap-restart", "--name"));
        } finally {
            target.close();
        }
    }

    /**
     * A guest that arrived without --persistent is transient on its destination: destroyed there, it leaves no
     * snapshot metadata behind, as libvirt. Kept, they were the snapshots of the domain defined there next with its
     * name and UUID: listed, and their names refused ("domain snapshot 'one' already exists").
     */
    @Test
    public void aTransientArrivalDestroyedOnItsDestinationLeavesNoSnapshotsThere() throws Exception {
        String src = source.url();
        String uuid = "00000000-0000-4000-8000-00000000a007";
        startVm(src, "snap-transient", uuid);
        Installation.ferryOkAt(src, "snapshot-create-as", "snap-transient", "one");
        Installation.ferryOkAt(src, "migrate", "--live", "snap-transient", destination.url());
        String dst = destination.url();
        assertEquals("one\n", Installation.ferryOkAt(dst, "snapshot-current", "snap-transient", "--name"));

        Installation.ferryOkAt(dst, "destroy", "snap-transient");

        assertFalse(Installation.ferryOkAt(dst, "list", "--all").contains("snap-transient"));
        assertFalse("its snapshots stayed on the destination", Files.exists(destination.stateDir.resolve("snapshots").resolve(uuid)));
        Installation.ferryOkAt(dst, "define", domainXml("snap-transient", uuid).toString());
        assertEquals("Domain snapshot one created\n", Installation.ferryOkAt(dst, "snapshot-create-as", "snap-transient", "one"));
        assertEquals("one\n\n", Installation.ferryOkAt(dst, "snapshot-list", "snap-transient", "--tree"));
    }

    /** root → child → grandchild, then sibling under root; sibling is current. */
    private static void makeTree(String url, String vm) throws Exception {
        assertEquals("Domain snapshot root created\n", Installation.ferryOkAt(url, "snapshot-create-as", vm, "root", "--description", "the first"));
        Installation.ferryOkAt(url, "snapshot-create-as", vm, "child");
        Installation.ferryOkAt(url, "snapshot-create-as", vm, "grandchild");
        assertEquals("Snapshot root set as current\n", Installation.ferryOkAt(url, "snapshot-current", vm, "root"));
        Installation.ferryOkAt(url, "snapshot-create-as", vm, "sibling");
        assertEquals(TREE, Installation.ferryOkAt(url, "snapshot-list", vm, "--tree"));
    }

    private static void startVm(String url, String name, String uuid) throws Exception {
        Installation.ferryOkAt(url, "define", domainXml(name, uuid).toString());
        Installation.ferryOkAt(url, "start", name);
    }

    private static Path domainXml(String name, String uuid) throws IOException {
        String xml = "<domain type='sim'><name>" + name + "</name><uuid>" + uuid + "</uuid><memory unit='MiB'>16</memory>"
                + "<vcpu>1</vcpu><metadata><sim:workload xmlns:sim='http://ferry.io/xmlns/sim/1.0' dirty-pages-per-second='0'/>"
                + "</metadata></domain>";
        return Files.writeString(Files.createTempFile(Installation.WORK, name, ".xml"), xml, StandardCharsets.UTF_8);
    }


    private static String field(String dominfo, String label) {
        return dominfo.lines().filter(l -> l.startsWith(label + ":")).map(l -> l.substring(label.length() + 1).trim())
                .findFirst().orElseThrow(() -> new AssertionError(label + " not in\n" + dominfo));
    }

    private static void assertNoStaging(DaemonProcess daemon) throws IOException {
        Path staging = daemon.stateDir.resolve("snapshots/.staging");
        if (Files.exists(staging)) {
            try (Stream<Path> left = Files.list(staging)) {
                assertEquals("staged files left on " + daemon.stateDir, List.of(), left.toList());
            }
        }
    }

    private static Path copyWithoutSnapshotsPlugin(Path home) throws IOException {
        Installation.copyTo(home);
        try (Stream<Path> bundles = Files.list(home.resolve("bundle"))) {
            for (Path jar : bundles.filter(p -> p.getFileName().toString().startsWith("ferry-plugin-snapshots-")).toList()) {
                Files.delete(jar);
            }
        }
        return home;
    }
}
