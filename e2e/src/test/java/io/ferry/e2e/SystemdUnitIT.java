package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.e2e.Installation.Result;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

/**
 * bin/ferryd-systemd-unit: the unit it prints is one systemd takes without a word (systemd-analyze verify, which
 * also checks that ExecStart names an executable), for an installation whose path holds a space, and it stops
 * ferryd alone, never the QEMUs it started: systemd's default kill mode would take every guest down with it. It
 * starts ferryd once its state, run and lease directories are mounted.
 */
public class SystemdUnitIT {
    @Test
    public void theUnitRunsThisInstallationsFerrydAndStopsItAlone() throws Exception {
        Path home = Installation.copyTo(Files.createDirectories(Installation.work().resolve("unit " + System.nanoTime())));
        Result printed = unit(null, home, "--state-dir", "/var/lib/ferry %h$HOME\"x\\", "--hostname", "host-a",
                "--lease-dir", "/mnt/share/leases");
        assertEquals(printed.toString(), 0, printed.exit());
        assertEquals(printed.toString(), "", printed.err());

        List<String> lines = printed.out().lines().toList();
        assertTrue(printed.out(), lines.contains("ExecStart=\"" + home.resolve("bin/ferryd") + "\" \"--state-dir\""
                + " \"/var/lib/ferry %%h$$HOME\\\"x\\\\\" \"--hostname\" \"host-a\" \"--lease-dir\""
                + " \"/mnt/share/leases\""));
        assertTrue("started once the lease directory's share is mounted:\n" + printed.out(), lines.contains(
                "RequiresMountsFor=\"/var/lib/ferry %%h$HOME\\\"x\\\\\" \"/var/lib/ferry %%h$HOME\\\"x\\\\/run\""
                        + " \"/mnt/share/leases\""));
        assertTrue("ferryd alone is stopped, its QEMUs stay:\n" + printed.out(), lines.contains("KillMode=process"));
        assertTrue("a stop by SIGTERM is a success:\n" + printed.out(), lines.contains("SuccessExitStatus=143"));
        assertTrue("the QEMUs' threads count against no limit of systemd's:\n" + printed.out(),
                lines.contains("TasksMax=infinity"));
        assertTrue("a guest's QEMU killed by the kernel's OOM killer does not stop ferryd:\n" + printed.out(),
                lines.contains("OOMPolicy=continue"));

        Path unit = Files.writeString(home.resolve("ferryd.service"), printed.out(), StandardCharsets.UTF_8);
        Result verified = Installation.run(null, "systemd-analyze", "verify", unit.toString());
        assertEquals("systemd-analyze verify " + unit + "\n" + printed.out() + "\n" + verified, 0, verified.exit());
        assertEquals("systemd-analyze verify " + unit + "\n" + printed.out() + "\n" + verified, "", verified.err());
    }

    @Test
    public void anArgumentAUnitCannotCarryIsRefused() throws Exception {
        Result refused = unit(null, Installation.HOME, "--hostname", "a\nb");
        assertEquals(refused.toString(), 1, refused.exit());
        assertEquals(refused.toString(), "", refused.out());
        assertTrue(refused.toString(), refused.err().startsWith("ferryd-systemd-unit: an argument holds a line break"));
    }

    @Test
    public void helpPrintsTheUsageAndNoUnit() throws Exception {
        Result help = unit(null, Installation.HOME, "--help");
        assertEquals(help.toString(), 0, help.exit());
        assertTrue(help.toString(), help.out().startsWith("usage: ferryd-systemd-unit [FERRYD OPTION]...\n"));
        assertTrue(help.toString(), !help.out().contains("ExecStart="));
    }

    @Test
    public void anOptionFerrydWouldRefuseIsRefusedWhenTheUnitIsPrintedNotAtEachRestart() throws Exception {
        Result misspelt = unit(null, Installation.HOME, "--state-dir", "/var/lib/ferry", "--finsh-wait", "5");
        assertEquals(misspelt.toString(), new Result(2, "",
                "ferryd-systemd-unit: unknown option '--finsh-wait' (ferryd --help lists them)\n"), misspelt);
        Result bad = unit(null, Installation.HOME, "--finish-wait", "-5");
        assertEquals(bad.toString(), new Result(1, "",
                "ferryd-systemd-unit: --finish-wait '-5' is not a whole number of seconds from 0 to 2147483647\n"), bad);
    }

    /** The unit outlives the installation: an upgrade installed beside it would start with none of its state. */
    @Test
    public void aStateDirectoryInsideTheInstallationIsRefused() throws Exception {
        Result refused = unit(null, Installation.HOME, "--hostname", "host-a");
        assertEquals(refused.toString(), 1, refused.exit());
        assertEquals(refused.toString(), "", refused.out());
        assertTrue(refused.toString(), refused.err().startsWith("ferryd-systemd-unit: the state directory "
                + Installation.HOME.toRealPath().resolve("var") + " is inside the installation "));
    }

    @Test
    public void aRelativePathIsTheOneTheOperatorMeantNotOneUnderRoot() throws Exception {
        Path here = Files.createDirectories(Installation.work().resolve("unit-cwd " + System.nanoTime()));
        Result printed = unit(here, Installation.HOME, "--state-dir", "var", "--shared-path=images", "--hostname", "host-a");
        assertEquals(printed.toString(), 0, printed.exit());
        String absolute = here.toRealPath().toString();
        assertTrue(printed.out(), printed.out().lines().toList().contains("ExecStart=\""
                + Installation.HOME.toRealPath().resolve("bin/ferryd")
                + "\" \"--state-dir\" \"" + absolute + "/var\" \"--shared-path=" + absolute + "/images\" \"--hostname\" \"host-a\""));
    }

    private static Result unit(Path directory, Path home, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/ferryd-systemd-unit").toString()));
        command.addAll(List.of(args));
        return Installation.run(directory, command.toArray(String[]::new));
    }
}
