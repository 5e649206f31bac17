package io.ferry.driver.qemu;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * QEMU dropping to the driver's {@code user} once started, as libvirt runs it as {@code qemu.conf}'s user: what a
 * guest that took its QEMU over may then touch, and migrations through both of the driver's paths, whose sockets
 * that QEMU must reach. The user is {@code ferry-qemu}, which {@code .ci/run} creates; the tests run as root.
 */
public class QemuUserTest {
    static final String USER = "ferry-qemu";
    private static final int MEMORY_MIB = 32;
    /** Why a file an image names is refused, as a refusal ends. */
    private static final String WHY = "QEMU opens the files an image's header names as root, before it drops to that"
            + " user; give that user access to them, as libvirt's DAC labelling does";

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private QemuUser user;
    private Path state;
    /** Where the QEMU user may write: the guests' memory is saved there to be compared. */
    private Path shared;
    private QemuDriver source;
    private QemuDriver destination;

    @Before
    public void setUp() throws Exception {
        user = QemuUser.lookup(USER); // fails, naming the user, where .ci/run has not made it
        Files.setPosixFilePermissions(tmp.getRoot().toPath(), PosixFilePermissions.fromString("rwx--x--x"));
        state = tmp.newFolder("state").toPath();
        shared = tmp.newFolder("shared").toPath();
        Files.setOwner(shared, user.user());
        user.giveGroup(shared);
        QemuSettings settings = Guests.settings(state).withUser(user);
        source = new QemuDriver("qemu", settings);
        destination = new QemuDriver("qemu", settings);
    }

    @After
    public void tearDown() {
        source.vms().forEach(QemuVirtualMachine::destroy);
        destination.vms().forEach(QemuVirtualMachine::destroy);
    }

    @Test
    public void theGuestsQemuRunsAsTheUserAndCanNoLongerWriteWhereOnlyTheDaemonMay() throws Exception {
        QemuVirtualMachine vm = (QemuVirtualMachine) source.boot(Guests.spec("confined", MEMORY_MIB, "0"), runDir("confined"));
        Map<String, String> status = processStatus(vm.process().pid());
        String uid = Integer.toString((Integer) Files.getAttribute(shared, "unix:uid"));
        assertEquals("real, effective, saved and file-system uid", String.join("\t", uid, uid, uid, uid), status.get("Uid"));
        assertEquals("no set-uid program gives root back", "1", status.get("NoNewPrivs"));

        Path daemonsOwn = Files.createDirectory(tmp.getRoot().toPath().resolve("daemons-own"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path file = daemonsOwn.resolve("memory.bin");
        HypervisorException refused = assertThrows(HypervisorException.class, () -> vm.execute("pmemsave",
                Qmp.JSON.createObjectNode().put("val", 0).put("size", 4096).put("filename", file.toString())));
        assertTrue(refused.getMessage(), refused.getMessage().contains("Permission denied"));
        assertFalse("QEMU wrote nothing there", Files.exists(file));
        assertTrue("it still writes where its user may", Guests.eventually(
                () -> Guests.status(vm, shared).magic() == Guests.STATUS_MAGIC));
    }

    /**
     * The run directory: the daemon's, entered by the user's group and listed by nobody else, nothing in it the user's.
     * A QEMU cannot put a link where the daemon writes, nor a socket where the daemon connects.
     */
    @Test
    public void theRunDirectoryAndAllInItStayTheDaemons() throws Exception {
        Path runDir = runDir("layout");
        source.boot(Guests.spec("layout", MEMORY_MIB, "0"), runDir);
        PosixFileAttributes dir = Files.readAttributes(runDir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        assertEquals("rwx--x---", PosixFilePermissions.toString(dir.permissions()));
        assertEquals(user.group(), dir.group());
        assertFalse("owned by the daemon's user", dir.owner().equals(user.user()));
        try (var files = Files.list(runDir)) {
            for (Path file : files.toList()) {
                assertFalse(file + " is not the user's (the monitor socket QEMU made before it dropped among them)",
                        Files.getOwner(file, LinkOption.NOFOLLOW_LINKS).equals(user.user()));
            }
        }
    }

    /**
     * An arriving QEMU reads its memory from a pipe the daemon holds: another QEMU of the user, one a guest took over,
     * cannot open it through {@code /proc} (a process that dropped to its user is not dumpable, so its descriptors
     * are root's), to read the memory or to add to it.
     */
    @Test
    public void anotherQemuOfTheUserCannotReachTheArrivingOnesPipe() throws Exception {
        DomainSpec spec = Guests.spec("arriving", MEMORY_MIB, "0");
        QemuVirtualMachine vm = (QemuVirtualMachine) destination.createIncoming(spec, runDir("arriving"));
        Path pipe = Path.of("/proc", Long.toString(vm.process().pid()), "fd", "0");
        Process open = new ProcessBuilder("runuser", "-u", USER, "--", "sh", "-c",
                "exec 3>" + pipe + " || exec 3<" + pipe).redirectErrorStream(true).start();
        assertTrue(open.waitFor(30, TimeUnit.SECONDS));
        String said = new String(open.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(said, open.exitValue() != 0 && said.contains("Permission denied"));
    }

    @Test
    public void aGuestRunningAsTheUserMigratesThroughTheStreamsAndDirect() throws Exception {
        for (String path : List.of("stream", "direct")) {
            DomainSpec spec = Guests.spec("moves-" + path, MEMORY_MIB, "4M");
            QemuVirtualMachine src = (QemuVirtualMachine) source.boot(spec, runDir("src-" + path));
            QemuVirtualMachine dst = (QemuVirtualMachine) destination.createIncoming(spec, runDir("dst-" + path));
            assertTrue(Guests.eventually(() -> Guests.status(src, shared).passes() > 0));
            if (path.equals("stream")) {
                Guests.viaStreams(src, dst, new Guests.Control(), new Guests.Control());
            } else {
                Guests.direct(src, dst, new Guests.Control());
            }
            // QEMU says completed before its runstate leaves finish-migrate (the guest stopped in both)
            assertTrue(path, Guests.eventually(() -> "postmigrate".equals(src.status())));
            byte[] ram = Guests.pmemsave(src, shared, 0, (long) MEMORY_MIB << 20);
            assertArrayEquals(path + ": the destination's RAM is the source's", ram,
                    Guests.pmemsave(dst, shared, 0, (long) MEMORY_MIB << 20));
            long writes = Guests.status(dst, shared).writes();
            dst.resume();
            assertTrue(path + ": the guest runs on", Guests.eventually(() -> Guests.status(dst, shared).writes() > writes));
            assertEquals(path, processStatus(src.process().pid()).get("Uid"), processStatus(dst.process().pid()).get("Uid"));
        }
    }

    /** Found at boot, not at the first migration, whose sockets QEMU could not reach. */
    @Test
    public void aRunDirectoryTheUserCannotReachIsRefusedBeforeQemuStarts() throws Exception {
        Path closed = Files.createDirectory(tmp.getRoot().toPath().resolve("closed"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path runDir = Files.createDirectories(closed.resolve("run").resolve("vm"));
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> source.boot(Guests.spec("unreachable", MEMORY_MIB, "0"), runDir));
        assertEquals("cannot start domain 'unreachable': the QEMU user '" + USER + "' cannot reach the run directory "
                + runDir + ": " + closed + " denies it search (chmod o+x " + closed
                + ", or start ferryd with a --run-dir it can reach)", e.getMessage());
        assertFalse("no QEMU was started", Files.exists(runDir.resolve("qemu.pid")));
        assertTrue(source.vms().isEmpty());
    }

    /**
     * A QEMU a guest took over holds its image open read-write and may rewrite its header, which names the files QEMU
     * opens beside it at its next start, here or on the host the guest next arrives on, as root: a backing file or a
     * data file the QEMU user could not open itself is refused there, naming it.
     */
    @Test
    public void aBackingFileTheUserCannotReadIsRefusedAtBootAndArrival() throws Exception {
        Path secret = rootOnly("secret.key");
        Path image = qcow2("backed.qcow2", "-b", secret.toString(), "-F", "raw");
        DomainSpec spec = Guests.spec(Guests.xml("backed", UUID.randomUUID(), MEMORY_MIB, "0", disk(image)));
        String why = "backing file '" + secret + "' of disk vda's source '" + image + "' cannot be read by the QEMU"
                + " user '" + USER + "' itself (" + secret + " is mode 0600, owner 0, group 0): " + WHY;
        HypervisorException boot = assertThrows(HypervisorException.class, () -> source.boot(spec, runDir("boot")));
        assertEquals("cannot start domain 'backed': " + why, boot.getMessage());
        HypervisorException arrival = assertThrows(HypervisorException.class,
                () -> destination.createIncoming(spec, runDir("arrival")));
        assertEquals("cannot start domain 'backed': " + why, arrival.getMessage());

        Path link = Files.createSymbolicLink(tmp.getRoot().toPath().resolve("innocent.raw"), secret);
        Path linked = qcow2("linked.qcow2", "-b", link.toString(), "-F", "raw");
        DomainSpec viaLink = Guests.spec(Guests.xml("linked", UUID.randomUUID(), MEMORY_MIB, "0", disk(linked)));
        HypervisorException e = assertThrows(HypervisorException.class, () -> source.boot(viaLink, runDir("linked")));
        assertTrue("judged where the link leads: " + e.getMessage(), e.getMessage().startsWith("cannot start domain"
                + " 'linked': backing file '" + link + "' of disk vda's source '" + linked + "' (" + secret + ")"
                + " cannot be read by the QEMU user '" + USER + "' itself (" + secret + " is mode 0600"));
        assertTrue("no QEMU was started", source.vms().isEmpty() && destination.vms().isEmpty());
    }

    @Test
    public void aDataFileTheUserCannotReadAndWriteIsRefusedAtBoot() throws Exception {
        Path secret = tmp.getRoot().toPath().resolve("passwd");
        Path image = qcow2("data.qcow2", "-o", "data_file=" + secret);
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--")); // the user reads it only
        DomainSpec spec = Guests.spec(Guests.xml("data", UUID.randomUUID(), MEMORY_MIB, "0", disk(image)));
        HypervisorException e = assertThrows(HypervisorException.class, () -> source.boot(spec, runDir("data")));
        assertEquals("cannot start domain 'data': data file '" + secret + "' of disk vda's source '" + image
                + "' cannot be read and written by the QEMU user '" + USER + "' itself (" + secret + " is mode 0644,"
                + " owner 0, group 0): " + WHY, e.getMessage());

        // a guest that took its QEMU over rewrites the header to a relative name, which QEMU opens from its own
        // working directory as root, whatever the file of that name beside the image
        Path beside = Files.writeString(tmp.getRoot().toPath().resolve("vm.raw"), "");
        Files.setOwner(beside, user.user());
        Guests.run(tmp.newFolder().toPath(), "qemu-img", "amend", "-o", "data_file=vm.raw", image.toString());
        e = assertThrows(HypervisorException.class, () -> source.boot(spec, runDir("relative")));
        assertEquals("cannot start domain 'data': data file 'vm.raw' of disk vda's source '" + image + "' is not an"
                + " absolute path: QEMU opens an image's data file from its own working directory, not beside the image"
                + " (qemu-img amend -o data_file=/ABSOLUTE/PATH IMAGE names it so)", e.getMessage());
        assertTrue("no QEMU was started", source.vms().isEmpty());
    }

    /** The rule costs an operator nothing where the user may read the backing file, as libvirt would have it. */
    @Test
    public void aBackingFileTheUserCanReadStillBoots() throws Exception {
        Path base = Files.write(tmp.getRoot().toPath().resolve("base.raw"), new byte[1 << 20]);
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rw-r-----"));
        user.giveGroup(base);
        Path image = qcow2("overlay.qcow2", "-b", base.toString(), "-F", "raw");
        QemuVirtualMachine vm = (QemuVirtualMachine) source.boot(
                Guests.spec(Guests.xml("overlay", UUID.randomUUID(), MEMORY_MIB, "0", disk(image))), runDir("overlay"));
        assertEquals(base.toString(), vm.execute("query-block", null).get(0).path("inserted").path("image")
                .path("backing-image").path("filename").asText());
    }

    /** A file only root may read, in the test's directory (which the user may enter). */
    private Path rootOnly(String name) throws IOException {
        Path file = Files.writeString(tmp.getRoot().toPath().resolve(name), "the daemon's secret\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    /** A qcow2 image of 1 MiB made by qemu-img in the test's directory with {@code options}. */
    private Path qcow2(String name, String... options) throws Exception {
        Path image = tmp.getRoot().toPath().resolve(name);
        List<String> command = new ArrayList<>(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-u"));
        command.addAll(List.of(options));
        command.addAll(List.of(image.toString(), "1M"));
        Guests.run(tmp.newFolder().toPath(), command.toArray(String[]::new));
        return image;
    }

    private static String disk(Path image) {
        return "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='" + image + "'/>"
                + "<target dev='vda' bus='virtio'/></disk>";
    }

    private Path runDir(String name) throws IOException {
        return Files.createDirectory(tmp.getRoot().toPath().resolve("run-" + name),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    /** The fields of /proc/PID/status, each with its value. */
    private static Map<String, String> processStatus(long pid) throws IOException {
        Map<String, String> fields = new HashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.US_ASCII)) {
            int colon = line.indexOf(':');
            fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
        }
        return fields;
    }
}
