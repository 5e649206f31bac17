package io.ferry.e2e;

import static org.junit.Assert.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.ExternalResource;
import org.junit.rules.RuleChain;

/**
 * {@code ferryd --qemu-user ferry-qemu}: every QEMU the daemons start drops to that user (which .ci/run makes), and
 * guests migrate through both of the driver's paths, whose sockets that QEMU must reach from its run directory
 * ({@code --run-dir} under a directory the user may enter, as docs/qemu.md says to make it).
 */
public class QemuUserIT {
    private static final String USER = "ferry-qemu";
    private static final Path RUNS = reachableRunDirectories();

    private static final TwoHosts HOSTS = TwoHosts.forQemu(
            new String[] {"--qemu-user", USER, "--run-dir", RUNS.resolve("src").toString()},
            new String[] {"--qemu-user", USER, "--run-dir", RUNS.resolve("dst").toString()});

    /** The run directories go once the daemons have. */
    @ClassRule
    public static final RuleChain DAEMONS = RuleChain.outerRule(new ExternalResource() {
        @Override
        protected void after() {
            try (Stream<Path> paths = Files.walk(RUNS)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            } catch (IOException e) {
                // a temporary directory left behind is harmless
            }
        }
    }).around(HOSTS);

    @Test
    public void guestsRunAsTheQemuUserOnBothHostsAndMigrateTunnelledAndQemuToQemu() throws Exception {
        String uid = Integer.toString(uid());
        for (List<String> flags : List.of(List.of("--live", "--p2p", "--tunnelled"), List.of("--live", "--p2p"))) {
            QemuGuest guest = QemuGuest.idle(flags.size() == 3 ? "qemu-user-tunnelled" : "qemu-user-direct", HOSTS.emulator);
            try {
                HOSTS.source.ferryOk("define", guest.file().toString());
                HOSTS.source.ferryOk("start", guest.name());
                assertEquals("the source's QEMU", uid, uidOf(QemuProcesses.theOne(guest.uuid(), RUNS.resolve("src"))));

                HOSTS.migrateOk(guest.name(), flags.toArray(String[]::new));

                HOSTS.assertRunsOnlyOn(HOSTS.destination, guest.name(), null);
                assertEquals("the destination's QEMU", uid, uidOf(QemuProcesses.theOne(guest.uuid(), RUNS.resolve("dst"))));
            } finally {
                HOSTS.destination.ferry("destroy", guest.name());
                HOSTS.source.ferry("destroy", guest.name());
                HOSTS.source.ferry("undefine", guest.name());
            }
        }
    }

    /** Two run directories, made before the daemons as an operator would: enterable, not listable, by others. */
    private static Path reachableRunDirectories() {
        try {
            Path runs = Files.createTempDirectory("ferry-qu");
            for (Path dir : List.of(runs, Files.createDirectory(runs.resolve("src")), Files.createDirectory(runs.resolve("dst")))) {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
            }
            return runs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The QEMU user's uid; fails, naming it, where .ci/run has not made it. */
    private static int uid() throws Exception {
        Process id = new ProcessBuilder("id", "-u", USER).redirectErrorStream(true).start();
        String out = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals("the user " + USER + " (made by .ci/run): " + out, 0, id.waitFor());
        return Integer.parseInt(out);
    }

    /** The real, effective, saved and file-system uid of a process, when all four are one; else all four. */
    private static String uidOf(QemuProcesses.Qemu qemu) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(qemu.pid()), "status"), StandardCharsets.US_ASCII)) {
            if (line.startsWith("Uid:")) {
                String[] ids = line.substring(4).strip().split("\\s+");
                return List.of(ids).stream().distinct().count() == 1 ? ids[0] : String.join(",", ids);
            }
        }
        throw new AssertionError("no Uid line for QEMU " + qemu.pid());
    }
}
