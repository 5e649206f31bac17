package io.ferry.bench;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * bench/run-qemu against a fake installation (a {@code bin/ferry} that records its calls, a {@code bin/ferryd} that
 * publishes a URI and sleeps): a guest it started is destroyed on both hosts when a later step fails, before the
 * daemons stop, since a QEMU outlives its daemon and nothing reaches it once the work directory is gone.
 */
public class QemuBenchTest {
    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    @Test
    public void aFailedMigrationLeavesNoGuestRunning() throws Exception {
        Path home = fakeInstallation();
        Files.createFile(home.resolve("migrate-fails"));

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> QemuBench.main(new String[] {home.toString()}));

        assertTrue(e.getMessage(),
                e.getMessage().startsWith("ferry -c ferry+tcp://127.0.0.1:1 migrate --live --p2p qb-warm-up"));
        assertDestroyedOnBothAfter(home, "migrate");
    }

    @Test
    public void aJobThatCannotBeReadLeavesNoGuestRunning() throws Exception {
        Path home = fakeInstallation(); // the migration succeeds; no daemon answers the source's job

        assertThrows(Exception.class, () -> QemuBench.main(new String[] {home.toString()}));

        assertDestroyedOnBothAfter(home, "migrate");
    }

    private static void assertDestroyedOnBothAfter(Path home, String step) throws Exception {
        List<String> calls = Files.readAllLines(home.resolve("calls"));
        String failed = calls.stream().filter(c -> c.contains(" " + step + " ")).findFirst().orElseThrow();
        List<String> after = calls.subList(calls.indexOf(failed) + 1, calls.size());
        assertEquals(String.join("\n", calls), List.of("-c ferry+tcp://127.0.0.1:1 destroy qb-warm-up",
                "-c ferry+tcp://127.0.0.1:2 destroy qb-warm-up"), after);
    }

    /** bin/ferry records its arguments in HOME/calls; ferryd qb-a publishes port 1, qb-b port 2 (nobody listens). */
    private Path fakeInstallation() throws Exception {
        Path home = temp.newFolder("ferry").toPath();
        Files.createDirectories(home.resolve("share/guest"));
        Files.writeString(home.resolve("share/guest/ferry-guest.elf"), "");
        script(home.resolve("bin/ferry"), """
                #!/bin/sh
                home="$(dirname "$0")/.."
                echo "$*" >> "$home/calls"
                case " $* " in *" migrate "*) if [ -e "$home/migrate-fails" ]; then echo "refused"; exit 1; fi ;; esac
                exit 0
                """);
        script(home.resolve("bin/ferryd"), """
                #!/bin/sh
                while [ $# -gt 0 ]; do
                  case "$1" in --state-dir) state="$2"; shift ;; --hostname) host="$2"; shift ;; esac
                  shift
                done
                if [ "$host" = qb-a ]; then port=1; else port=2; fi
                # as ferryd: written aside, then moved in (`>` makes it empty first; LocalDaemon reads it once there)
                printf 'ferry+tcp://127.0.0.1:%s' "$port" > "$state/control-url.tmp"
                mv "$state/control-url.tmp" "$state/control-url"
                exec sleep 600
                """);
        return home;
    }

    private static void script(Path file, String text) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
    }
}
