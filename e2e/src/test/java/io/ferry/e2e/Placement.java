package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The one invariant every failure must leave: exactly one running copy, with the memory it had, its disk
 * leases held by the host that runs it, no paused orphan, its definition and snapshots intact, no migration
 * claiming it and its job lock free.
 */
final class Placement {
    private Placement() {
    }

    /** An idle guest with a leased disk and a snapshot, as the tests leave it. */
    record Guest(String name, UUID uuid, String digest, Path definition, String disk) {
    }

    /** Defines and starts an idle 16 MiB guest with one disk and one snapshot on {@code host}. */
    static Guest startGuest(DaemonProcess host, String name, Path leases) throws Exception {
        String disk = "/images/" + name + ".img";
        SimDomain domain = SimDomain.idle(name, 16).withDisk(disk);
        Path definition = domain.file();
        host.ferryOk("define", definition.toString());
        host.ferryOk("start", name);
        host.ferryOk("snapshot-create-as", name, "s1", "--description", "before the fault");
        return new Guest(name, domain.uuid(), host.digest(name), definition, disk);
    }

    /** Waits until both daemons have settled the guest, then checks the invariant: it runs on {@code runner} only. */
    static void assertSettled(DaemonProcess runner, DaemonProcess other, Guest guest, Path leases) throws Exception {
        String name = guest.name();
        Poll.until(name + " to run on " + runner + " and nowhere else, unclaimed", () -> "running".equals(runner.state(name))
                && !claimed(runner, name) && !active(other, name) && !claimed(other, name));
        assertEquals("memory of " + name + " on " + runner, guest.digest(), runner.digest(name));
        assertEquals("holder of the lease of " + guest.disk(), runner.name, leaseHolder(leases, guest.disk()));
        assertFalse("no VM of " + name + " left on " + other, Files.exists(other.stateDir.resolve("run").resolve(guest.uuid().toString())));
        assertEquals(name + " is persistent on " + runner, "yes", runner.dominfo(name).get("Persistent"));
        assertTrue("snapshots of " + name + " on " + runner, runner.ferryOk("snapshot-list", name).out().contains("s1"));
        runner.ferryOk("define", guest.definition().toString()); // takes the domain's job lock
    }

    /**
     * The guest runs on {@code runner}, with {@code digest} (unless null, for a busy guest), and has no live copy on
     * {@code other} (absent there, or shut off): the check every migration test ends with.
     */
    static void assertRunsOnlyOn(DaemonProcess runner, DaemonProcess other, String name, String digest) throws Exception {
        assertRuns(runner, name, digest);
        String there = other.state(name);
        assertTrue(name + " on " + other + ": " + there, there == null || there.equals("shut off"));
    }

    /** The guest runs on {@code runner}, with {@code digest} unless null (what is left to check, the other down). */
    static void assertRuns(DaemonProcess runner, String name, String digest) throws Exception {
        assertEquals(name + " on " + runner, "running", runner.state(name));
        if (digest != null) {
            assertEquals("memory digest of " + name + " on " + runner, digest, runner.digest(name));
        }
    }

    /** Migrates the guest back, so that the next test starts on the source again. */
    static void migrateBack(DaemonProcess from, DaemonProcess to, String name) throws Exception {
        from.ferryOk("migrate", "--live", "--persistent", "--undefinesource", name, to.url());
    }

    private static boolean active(DaemonProcess host, String name) throws Exception {
        String info = host.dominfoIfKnown(name);
        return info != null && !info.contains("shut off");
    }

    private static boolean claimed(DaemonProcess host, String name) throws Exception {
        String info = host.dominfoIfKnown(name);
        return info != null && info.contains("Migration:");
    }

    /** The host that holds the disk's lease in the shared lease directory, or null. */
    static String leaseHolder(Path leases, String disk) throws IOException {
        try (Stream<Path> files = Files.list(leases)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".lease")).toList()) {
                Properties lease = new Properties();
                lease.load(new StringReader(Files.readString(file)));
                if (disk.equals(lease.getProperty("resource"))) {
                    return Boolean.parseBoolean(lease.getProperty("held")) ? lease.getProperty("owner") : null;
                }
            }
        }
        return null;
    }
}
