package io.ferry.launcher;

import static org.junit.Assert.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The directories ferryd makes at its start when they do not exist: a run directory on a tmpfs ({@code /run},
 * {@code /dev/shm}) is made anew at every boot, so what QEMU's user needs of it cannot be an operator's one-time step.
 */
public class FerrydDirectoriesTest {
    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    private FerryHome home;
    private Path state;
    private Path run;

    @Before
    public void installation() throws Exception {
        home = new FerryHome(temp.newFolder("ferry").toPath());
        Files.createDirectories(home.etc());
        state = temp.getRoot().toPath().resolve("var/ferry");
        run = temp.getRoot().toPath().resolve("run/ferry");
    }

    /** QEMU, dropped to its user, enters its VM's directory in the run directory: others may enter it, no more. */
    @Test
    public void withAQemuUserTheRunDirectoryFerrydMakesCanBeEnteredNotListed() throws Exception {
        Ferryd.createDirectories(options("--qemu-user", "ferry-qemu"));

        assertEquals("rwx--x--x", mode(run));
        assertEquals("the state directory stays its user's alone", "rwx------", mode(state));
        TrustedDirectories.check("ferryd", "run directory", run, false); // no one else may write it
    }

    @Test
    public void aQemuUserInEtcCountsAsOnTheCommandLine() throws Exception {
        Files.writeString(home.etc().resolve("io.ferry.driver.qemu.cfg"), "user = ferry-qemu\n");
        Ferryd.createDirectories(options());

        assertEquals("rwx--x--x", mode(run));
    }

    @Test
    public void withoutAQemuUserTheRunDirectoryIsTheDaemonsAlone() throws Exception {
        Ferryd.createDirectories(options());

        assertEquals("rwx------", mode(run));
        assertEquals("rwx------", mode(state));
    }

    /** One the operator made is left as it is, opened or closed: the trust checks and QEMU's user judge it. */
    @Test
    public void aRunDirectoryThatExistsIsLeftAsItIs() throws Exception {
        Files.createDirectories(run);
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwx------"));
        Ferryd.createDirectories(options("--qemu-user", "ferry-qemu"));

        assertEquals("rwx------", mode(run));
    }

    @Test
    public void aStateDirectoryNamedAgainThroughALinkAsTheRunDirectoryIsTakenOnce() throws Exception {
        Files.createDirectories(state);
        Path link = Files.createSymbolicLink(temp.getRoot().toPath().resolve("state-link"), state);
        DaemonOptions options = DaemonOptions.parse(
                List.of("--state-dir", state.toString(), "--run-dir", link.toString()), home);
        List<DirectoryLock> held = Ferryd.lockDirectories(options);
        try {
            assertEquals(1, held.size());
        } finally {
            for (DirectoryLock lock : held) {
                lock.close();
            }
        }
    }

    private DaemonOptions options(String... more) {
        List<String> args = new ArrayList<>(List.of("--state-dir", state.toString(), "--run-dir", run.toString()));
        args.addAll(List.of(more));
        return DaemonOptions.parse(args, home);
    }

    private static String mode(Path directory) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(directory));
    }
}
