package io.ferry.e2e;

import java.io.IOException;
import java.nio.file.Path;
import java.util.UUID;

/**
 * A definition of the embedded hypervisor's domain ({@code <domain type='sim'>}), the one way tests make one: a
 * name, a UUID of its own, a memory size, the guest's dirty rate (0 pages/s is an idle guest, whose memory digest
 * never changes) and its devices. Its memory boots random ({@code fill='random'}): every page has bytes to carry,
 * so a digest that arrives unchanged says the pages did.
 */
record SimDomain(String name, UUID uuid, long memoryMiB, long dirtyPagesPerSecond, String devices) {

    /** An idle guest of {@code memoryMiB}: its digest must arrive unchanged. */
    static SimDomain idle(String name, long memoryMiB) {
        return new SimDomain(name, UUID.randomUUID(), memoryMiB, 0, "");
    }

    SimDomain withName(String newName) {
        return new SimDomain(newName, uuid, memoryMiB, dirtyPagesPerSecond, devices);
    }

    SimDomain withUuid(UUID newUuid) {
        return new SimDomain(name, newUuid, memoryMiB, dirtyPagesPerSecond, devices);
    }

    SimDomain withUuid(String newUuid) {
        return withUuid(UUID.fromString(newUuid));
    }

    SimDomain withMemoryMiB(long newMemoryMiB) {
        return new SimDomain(name, uuid, newMemoryMiB, dirtyPagesPerSecond, devices);
    }

    /** A guest that dirties this many pages a second: its memory moves while it migrates. */
    SimDomain dirtying(long pagesPerSecond) {
        return new SimDomain(name, uuid, memoryMiB, pagesPerSecond, devices);
    }

    /** With one more file-backed disk, whose lease the lock manager keeps under {@code source}. */
    SimDomain withDisk(String source) {
        String target = "vd" + (char) ('a' + devices.split("<disk ", -1).length - 1);
        return withDevices(devices + "<disk type='file' device='disk'><source file='" + source + "'/><target dev='" + target
                + "'/></disk>");
    }

    /** With these elements in {@code <devices>} (disks, interfaces, graphics). */
    SimDomain withDevices(String newDevices) {
        return new SimDomain(name, uuid, memoryMiB, dirtyPagesPerSecond, newDevices);
    }

    String xml() {
        return "<domain type='sim'>\n"
                + "  <name>" + name + "</name>\n"
                + "  <uuid>" + uuid + "</uuid>\n"
                + "  <memory unit='MiB'>" + memoryMiB + "</memory>\n"
                + "  <vcpu>1</vcpu>\n"
                + "  <metadata>\n"
                + "    <sim:workload xmlns:sim='http://ferry.io/xmlns/sim/1.0' dirty-pages-per-second='" + dirtyPagesPerSecond
                + "' fill='random'/>\n"
                + "  </metadata>\n"
                + (devices.isEmpty() ? "" : "  <devices>" + devices + "</devices>\n")
                + "</domain>\n";
    }

    /** The definition in a file of its own under the work directory, as {@code define} and {@code migrate --xml} take it. */
    Path file() throws IOException {
        return Installation.file(name, ".xml", xml());
    }
}
