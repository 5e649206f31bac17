package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.Test;

/**
 * {@code ferry demo --qemu} as a user runs it: two daemons, a real QEMU guest with a leased disk, a NIC, SPICE and
 * snapshots migrated live with every section, its RAM compared byte for byte between Perform and Finish; it exits 0
 * only when the guest runs on at the destination, and leaves no QEMU behind.
 */
public class QemuDemoIT {
    private static final UUID DEMO_GUEST = UUID.fromString("8f0b4c1e-2a53-4f6e-9d3a-5b2c7e1a9f11");

    @Test
    public void theQemuDemoMigratesARealGuestAndChecksIt() throws Exception {
        Installation.Result result = Installation.ferry("demo", "--qemu");

        assertEquals(result.toString(), 0, result.exit());
        String out = result.out();
        // the sections that have something to carry for this guest (its NIC is user networking: no Open vSwitch port)
        for (String element : List.of("graphics", "lockstate", "snapshots", "domain", "statistics", "capabilities")) {
            assertTrue(element + ":\n" + out, out.matches("(?s).*<" + element + "[ />].*"));
        }
        assertTrue(out, out.contains("their 64 MiB of RAM are equal, byte for byte"));
        assertTrue(out, out.matches("(?s).*The guest runs on at host-b from where host-a paused it: write counter \\d+ -> \\d+\n.*"));
        assertTrue(out, out.contains("SPICE_MIGRATE_COMPLETED seen on host-a"));
        assertTrue(out, out.endsWith("Migration verified: host-b resumed the guest from host-a's exact final RAM, and it runs on.\n"));
        assertEquals(List.of(), QemuProcesses.of(DEMO_GUEST));
    }

    /** A machine without QEMU on its PATH, or an installation without the test guest: told what is missing, nothing started. */
    @Test
    public void theQemuDemoSaysWhatThisMachineLacks() throws Exception {
        Path bin = Files.createDirectories(Installation.work().resolve("no-qemu-" + System.nanoTime()));
        Files.createSymbolicLink(bin.resolve("dirname"), Path.of("/usr/bin/dirname")); // all bin/ferry needs besides java
        Installation.Result noQemu = Installation.ferry(
                Map.of("PATH", bin.toString(), "JAVA_HOME", System.getProperty("java.home")), "demo", "--qemu");
        assertEquals(new Installation.Result(1, "", "error: demo --qemu needs qemu-system-x86_64 (QEMU >= 9.1, with its SPICE"
                + " module) on the PATH: install QEMU (see docs/qemu.md)\n"), noQemu);

        Path home = Installation.copyTo(
                Files.createDirectories(Installation.work().resolve("no-guest-" + System.nanoTime())));
        Path guest = home.resolve("share/guest/ferry-guest.elf");
        Files.delete(guest);
        Installation.Result noGuest = Installation.run(null, home.resolve("bin/ferry").toString(), "demo", "--qemu");
        assertEquals(new Installation.Result(1, "", "error: demo --qemu needs the test guest "
                + home.toRealPath().resolve("share/guest/ferry-guest.elf") + ", which the build makes with gcc -m32 and"
                + " ld -m elf_i386: install them (Debian: gcc-multilib binutils) and build again\n"), noGuest);
    }
}
