package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * What a daemon accepts, it reads back after a restart, and what it could not, it refuses at input: a definition
 * one level too deep for the files that carry it, a snapshot description XML cannot carry, a second domain with
 * the same UUID. And a file it cannot read back never costs a running VM.
 */
public class StoredInputIT {
    private static DaemonProcess source;
    private static DaemonProcess destination;

    @BeforeClass
    public static void startDaemons() throws Exception {
        source = DaemonProcess.start("input-src");
        destination = DaemonProcess.start("input-dst");
        source.url();
        destination.url();
    }

    @AfterClass
    public static void stopDaemons() throws Exception {
        for (DaemonProcess daemon : new DaemonProcess[] {source, destination}) {
            if (daemon != null) {
                daemon.close();
            }
        }
    }

    /** An idle sim domain of 16 MiB whose elements nest {@code depth} deep. */
    private static Path nested(String name, UUID uuid, int depth) throws Exception {
        return Installation.file(name, ".xml", "<domain type='sim'><name>" + name + "</name><uuid>" + uuid + "</uuid>"
                + "<memory unit='MiB'>16</memory><metadata><sim:workload xmlns:sim='http://ferry.io/xmlns/sim/1.0' "
                + "dirty-pages-per-second='0'/>" + "<x>".repeat(depth - 2) + "</x>".repeat(depth - 2) + "</metadata></domain>");
    }

    @Test
    public void aDefinitionAsDeepAsItsFilesAllowRunsOnAcrossARestartAndADeeperOneIsRefused() throws Exception {
        Installation.Result deeper = source.ferry("define", nested("deeper", UUID.randomUUID(), 64).toString());
        assertEquals(deeper.toString(), "error: domain definition nests 64 elements deep, over the limit of 63 (the status "
                + "file, snapshots and migration cookies that carry it add a level, and cookieMaxDepth is 64)\n", deeper.err());
        assertEquals(Optional.empty(), source.listedState("deeper"));

        source.ferryOk("define", nested("deep", UUID.randomUUID(), 63).toString());
        source.ferryOk("start", "deep");
        source.ferryOk("snapshot-create-as", "deep", "s1");
        String digest = source.digest("deep");

        source = source.restart();
        assertEquals("running (booted)", source.dominfo("deep").get("State"));
        assertEquals(digest, source.digest("deep"));
        assertTrue(source.ferryOk("snapshot-list", "deep").out().contains(" s1 "));
        source.ferryOk("destroy", "deep");
    }

    @Test
    public void aDescriptionXmlCannotCarryIsRefusedAndTheDomainsSnapshotsListAndMigrate() throws Exception {
        source.boot(SimDomain.idle("described", 16));
        source.ferryOk("snapshot-create-as", "described", "kept", "--description", "before the upgrade");
        Installation.Result refused = source.ferry("snapshot-create-as", "described", "odd", "--description", "a\uFFFFb");
        assertEquals(refused.toString(), "error: parameter 'description' holds U+FFFF at character 2, which XML 1.0 "
                + "cannot carry\n", refused.err());

        String list = source.ferryOk("snapshot-list", "described").out();
        assertTrue(list, list.contains(" kept ") && !list.contains(" odd "));
        String digest = source.digest("described");
        source.ferryOk("migrate", "--live", "described", destination.url());
        assertEquals("running (migrated)", destination.dominfo("described").get("State"));
        assertEquals(digest, destination.digest("described"));
        assertTrue(destination.ferryOk("snapshot-dumpxml", "described", "kept").out()
                .contains("<description>before the upgrade</description>"));
        destination.ferryOk("destroy", "described");
    }

    @Test
    public void aUuidBelongsToOneDomainAtDefineAndOnArrival() throws Exception {
        UUID uuid = UUID.randomUUID();
        source.define(SimDomain.idle("twin-a", 16).withUuid(uuid));
        Installation.Result second = source.ferry("define", SimDomain.idle("twin-b", 16).withUuid(uuid).file().toString());
        assertEquals(second.toString(), "error: operation failed: domain 'twin-a' is already defined with uuid " + uuid + "\n",
                second.err());
        assertEquals(Optional.empty(), source.listedState("twin-b"));

        UUID travelling = UUID.randomUUID();
        destination.define(SimDomain.idle("resident", 16).withUuid(travelling));
        String digest = source.boot(SimDomain.idle("visitor", 16).withUuid(travelling));
        Installation.Result migrate = source.ferry("migrate", "--live", "visitor", destination.url());
        assertEquals(migrate.toString(), 1, migrate.exit());
        assertTrue(migrate.err(), migrate.err().contains("operation failed: domain 'resident' is already defined with uuid "
                + travelling));
        assertEquals("running (booted)", source.dominfo("visitor").get("State"));
        assertEquals(digest, source.digest("visitor"));
        assertEquals(Optional.empty(), destination.listedState("visitor"));
        source.ferryOk("destroy", "visitor");
    }

    @Test
    public void anUnreadableStatusFileKeepsItsVmUntouchedForTheNextRestart() throws Exception {
        SimDomain vm = SimDomain.idle("keeper", 16);
        String digest = source.boot(vm);
        source.terminate();
        Path status = source.stateDir.resolve("status/keeper.xml");
        Path memory = source.stateDir.resolve("run").resolve(vm.uuid().toString()).resolve("memory");
        String written = Files.readString(status);
        byte[] memoryBefore = Files.readAllBytes(memory);
        Files.writeString(status, written.substring(0, written.length() / 2)); // as a crash of the disk could leave it

        source = source.restart();
        assertEquals(Optional.of("unreadable"), source.listedState("keeper"));
        Map<String, String> info = source.dominfo("keeper");
        assertTrue(info.toString(), info.get("Problem").startsWith("cannot read " + status + ": malformed domain status"));
        assertTrue("the log names the file", source.log().lines()
                .anyMatch(line -> line.contains(" ERROR ") && line.contains("domain keeper is unreadable") && line.contains(status.toString())));
        Installation.Result start = source.ferry("start", "keeper");
        assertTrue(start.err(), start.err().startsWith("error: Requested operation is not valid: domain 'keeper' is unreadable: "));
        assertTrue(Files.exists(status));
        assertTrue("the VM's memory is as it was", java.util.Arrays.equals(memoryBefore, Files.readAllBytes(memory)));

        source.terminate();
        Files.writeString(status, written); // the operator repairs the file
        source = source.restart();
        assertEquals("running (booted)", source.dominfo("keeper").get("State"));
        assertEquals(digest, source.digest("keeper"));
        assertFalse(source.dominfo("keeper").containsKey("Problem"));
        source.ferryOk("destroy", "keeper");
    }

    /**
     * A power cut leaves a status file and the VM's run state (both renamed into place without a sync) empty or NUL
     * bytes, while its definition (synced) is whole: the domain was unreadable at every start, start refused, though
     * its VM had died with the host. It is shut off, and starts again.
     */
    @Test
    public void aDomainWhoseFilesAPowerCutEmptiedIsShutOffAndStartsAgain() throws Exception {
        SimDomain vm = SimDomain.idle("unlucky", 16);
        source.boot(vm);
        source.terminate();
        Files.write(source.stateDir.resolve("status/unlucky.xml"), new byte[0]);
        Files.write(source.stateDir.resolve("run").resolve(vm.uuid().toString()).resolve("state"), new byte[46]);

        source = source.restart();
        assertEquals(Optional.of("shut off"), source.listedState("unlucky"));
        assertFalse(source.dominfo("unlucky").containsKey("Problem"));
        source.ferryOk("start", "unlucky");
        assertEquals("running (booted)", source.dominfo("unlucky").get("State"));
        source.ferryOk("destroy", "unlucky");
    }
}
