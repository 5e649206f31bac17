package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.Test;

/**
 * An arrival is refused before its QEMU starts when its memory is more than the host has available less what the
 * arrivals under way were promised, or it has more vCPUs than the host bears: a peer's arrivals, each just under the
 * host's memory and fed pages that are not zero, ran the host out of memory, and the OOM killer took other guests.
 * The host's memory is a fake {@code /proc/meminfo}.
 */
public class ArrivalRoomTest extends TwoQemuDrivers {
    private static final String OVERCOMMIT = "; set arrivalMemoryOvercommit in etc/io.ferry.driver.qemu.cfg to let"
            + " arrivals overcommit";

    private ArrivalRoom room(long availableKiB) throws Exception {
        Path meminfo = tmp.newFile().toPath();
        Files.writeString(meminfo, "MemTotal:       24683748 kB\nMemFree:        20728164 kB\n"
                + "MemAvailable:   " + availableKiB + " kB\nBuffers:           35480 kB\n");
        return new ArrivalRoom(meminfo, () -> 2);
    }

    private static DomainSpec spec(String name, long memoryMiB, int vcpus) {
        return new DomainSpec(name, UUID.randomUUID(), "qemu", memoryMiB * 1024, vcpus, List.of(), List.of(), List.of(),
                "<domain/>");
    }

    @Test
    public void anArrivalAboveWhatTheHostHasAvailableIsRefused() throws Exception {
        ArrivalRoom room = room(3250586); // 3.1 GiB
        room.promise(spec("small", 1024, 1), 1.0);
        HypervisorException refused = assertThrows(HypervisorException.class,
                () -> room.promise(spec("vm1", 64 << 10, 1), 1.0));
        assertEquals("cannot receive domain 'vm1': it needs 64 GiB of memory and this host has 3.1 GiB available"
                + " (MemAvailable), 1 GiB of it promised to arrivals under way" + OVERCOMMIT, refused.getMessage());
    }

    /**
     * A host that overcommits its memory on purpose (KSM, guests mostly idle, one emptied for maintenance) lets its
     * arrivals take up to arrivalMemoryOvercommit times what it has available; without it, the refusal names the way.
     */
    @Test
    public void anArrivalAboveWhatTheHostHasAvailableIsTakenInUpToTheOvercommit() throws Exception {
        ArrivalRoom room = room(2 << 20);
        HypervisorException refused = assertThrows(HypervisorException.class,
                () -> room.promise(spec("big", 3 << 10, 1), 1.0));
        assertEquals("cannot receive domain 'big': it needs 3 GiB of memory and this host has 2 GiB available"
                + " (MemAvailable)" + OVERCOMMIT, refused.getMessage());
        room.promise(spec("big", 3 << 10, 1), 2.0);
        refused = assertThrows(HypervisorException.class, () -> room.promise(spec("more", 1536, 1), 2.0));
        assertEquals("cannot receive domain 'more': it needs 1.5 GiB of memory and this host has 2 GiB available"
                + " (MemAvailable) and lets arrivals take 2 times it (arrivalMemoryOvercommit in"
                + " etc/io.ferry.driver.qemu.cfg), 3 GiB of that promised to arrivals under way", refused.getMessage());
        room.promise(spec("more", 1024, 1), 2.0); // 4 GiB in all: twice what the host has
        assertThrows(HypervisorException.class, () -> room.promise(spec("last", 1, 1), 2.0));
    }

    /** A size whose bytes do not fit a long must not wrap to a negative need that anything fits. */
    @Test
    public void anArrivalWhoseBytesOverflowIsRefused() throws Exception {
        ArrivalRoom room = room(3250586);
        assertThrows(HypervisorException.class, () -> room.promise(spec("vast", Long.MAX_VALUE / 1024, 1), 1.0));
        assertThrows(HypervisorException.class, () -> room.promise(spec("vast", Long.MAX_VALUE / 1024, 1),
                QemuSettings.MAX_OVERCOMMIT));
    }

    @Test
    public void ofTwoArrivalsThatFitAloneButNotTogetherTheSecondIsRefused() throws Exception {
        ArrivalRoom room = room(2 << 20);
        ArrivalRoom.Promise first = room.promise(spec("first", 1536, 1), 1.0);
        HypervisorException refused = assertThrows(HypervisorException.class,
                () -> room.promise(spec("second", 1024, 1), 1.0));
        assertEquals("cannot receive domain 'second': it needs 1 GiB of memory and this host has 2 GiB available"
                + " (MemAvailable), 1.5 GiB of it promised to arrivals under way" + OVERCOMMIT, refused.getMessage());
        first.close();
        first.close(); // given back once
        room.promise(spec("second", 1024, 1), 1.0);
        room.promise(spec("third", 1024, 1), 1.0); // 2 GiB in all: what the host has
        assertThrows(HypervisorException.class, () -> room.promise(spec("fourth", 1, 1), 1.0));
    }

    @Test
    public void anArrivalWithMoreVcpusThanTheHostBearsIsRefused() throws Exception {
        ArrivalRoom room = room(2 << 20);
        room.promise(spec("eight", 32, 8), 1.0).close();
        HypervisorException refused = assertThrows(HypervisorException.class,
                () -> room.promise(spec("nine", 32, 9), 2.0)); // the overcommit is the memory's
        assertEquals("cannot receive domain 'nine': it has 9 vCPUs, and a guest arriving here has at most 8 (4 for each"
                + " of the 2 CPUs this host gives ferryd)", refused.getMessage());
    }

    @Test
    public void anUnknownRoomIsNone() throws Exception {
        Path meminfo = tmp.newFile().toPath();
        Files.writeString(meminfo, "MemTotal:       24683748 kB\n");
        DomainSpec vm1 = spec("vm1", 32, 1);
        assertEquals("cannot receive domain 'vm1': this host's available memory is unknown: no MemAvailable in "
                + meminfo,
                assertThrows(HypervisorException.class, () -> new ArrivalRoom(meminfo, () -> 2).promise(vm1, 1.0))
                        .getMessage());
        Path none = meminfo.resolveSibling("none");
        assertTrue(assertThrows(HypervisorException.class, () -> new ArrivalRoom(none, () -> 2).promise(vm1, 1.0))
                .getMessage().startsWith("cannot receive domain 'vm1': this host's available memory is unknown: cannot"
                        + " read " + none + ": java.nio.file.NoSuchFileException"));
    }

    @Test
    public void sizesAreInMibOrGibToATenth() {
        assertEquals("48 MiB", ArrivalRoom.size(48L << 20));
        assertEquals("1023.9 MiB", ArrivalRoom.size((1L << 30) - (100 << 10)));
        assertEquals("3.1 GiB", ArrivalRoom.size(3250586L << 10));
        assertEquals("64 GiB", ArrivalRoom.size(64L << 30));
    }

    /**
     * The driver asks before an arriving QEMU starts, and keeps the promise until the arrival's memory has loaded or
     * its VM is gone; a boot is the operator's, and not checked.
     */
    @Test
    public void theDriverRefusesAnArrivalBeforeItsQemuStartsAndPromisesItsMemoryUntilItLoaded() throws Exception {
        destination = new QemuDriver("qemu", Guests.settings(state.resolve("destination"), 2000), Runnable::run,
                room(100 << 10));
        DomainSpec first = Guests.spec("first", 64, "0");
        QemuVirtualMachine src = (QemuVirtualMachine) source.boot(first, tmp.newFolder().toPath());
        QemuVirtualMachine dst = (QemuVirtualMachine) destination.createIncoming(first, tmp.newFolder().toPath());

        File secondDir = tmp.newFolder();
        HypervisorException refused = assertThrows(HypervisorException.class,
                () -> destination.createIncoming(Guests.spec("second", 64, "0"), secondDir.toPath()));
        assertEquals("cannot receive domain 'second': it needs 64 MiB of memory and this host has 100 MiB available"
                + " (MemAvailable), 64 MiB of it promised to arrivals under way" + OVERCOMMIT, refused.getMessage());
        assertEquals("no QEMU started", List.of(dst), destination.vms());
        assertEquals("no run file made", 0, secondDir.list().length);
        destination.boot(Guests.spec("booted", 128, "0"), tmp.newFolder().toPath()); // above it all: the operator's

        assertTrue("the source guest booted",
                Guests.eventually(() -> Guests.status(src, state).magic() == Guests.STATUS_MAGIC));
        Guests.viaStreams(src, dst, new Guests.Control(), new Guests.Control());
        QemuVirtualMachine third = (QemuVirtualMachine) destination.createIncoming(Guests.spec("third", 64, "0"),
                tmp.newFolder().toPath()); // the first's memory has loaded: it is no longer promised
        assertThrows(HypervisorException.class,
                () -> destination.createIncoming(Guests.spec("fourth", 64, "0"), tmp.newFolder().toPath()));
        third.destroy();
        destination.createIncoming(Guests.spec("fourth", 64, "0"), tmp.newFolder().toPath()); // the third is gone
    }
}
