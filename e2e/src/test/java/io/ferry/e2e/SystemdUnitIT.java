package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.Test;

/**
 * bin/ferryd-systemd-unit: the unit it prints is one systemd takes without a word (systemd-analyze verify, which
 * also checks that ExecStart names an executable), for an installation whose path holds a space, and it stops
 * ferryd alone, never the QEMUs it started: systemd's default kill mode would take every guest down with it.
 */
public class SystemdUnitIT {
    @Test
    public void theUnitRunsThisInstallationsFerrydAndStopsItAlone() throws Exception {
        Path home = Installation.copyTo(Files.createDirectories(Installation.work().resolve("unit " + System.nanoTime())));
        Run printed = run(List.of(home.resolve("bin/ferryd-systemd-unit").toString(), "--state-dir", "/var/lib/ferry %h$HOME\"x\\",
                "--hostname", "host-a"));
        assertEquals(printed.toString(), 0, printed.exit);
        assertEquals(printed.toString(), "", printed.err);

        List<String> lines = printed.out.lines().toList();
        assertTrue(printed.out, lines.contains("ExecStart=\"" + home.resolve("bin/ferryd") + "\" \"--state-dir\""
                + " \"/var/lib/ferry %%h$$HOME\\\"x\\\\\" \"--hostname\" \"host-a\""));
        assertTrue("ferryd alone is stopped, its QEMUs stay:\n" + printed.out, lines.contains("KillMode=process"));

        Path unit = Files.writeString(home.resolve("ferryd.service"), printed.out, StandardCharsets.UTF_8);
        Run verified = run(List.of("systemd-analyze", "verify", unit.toString()));
        assertEquals("systemd-analyze verify " + unit + "\n" + printed.out + "\n" + verified, 0, verified.exit);
        assertEquals("systemd-analyze verify " + unit + "\n" + printed.out + "\n" + verified, "", verified.err);
    }

    @Test
    public void anArgumentAUnitCannotCarryIsRefused() throws Exception {
        Run refused = run(List.of(Installation.HOME.resolve("bin/ferryd-systemd-unit").toString(), "--hostname", "a\nb"));
        assertEquals(refused.toString(), 1, refused.exit);
        assertEquals(refused.toString(), "", refused.out);
        assertTrue(refused.toString(), refused.err.startsWith("ferryd-systemd-unit: an argument holds a line break"));
    }

    @Test
    public void helpPrintsTheUsageAndNoUnit() throws Exception {
        Run help = run(List.of(Installation.HOME.resolve("bin/ferryd-systemd-unit").toString(), "--help"));
        assertEquals(help.toString(), 0, help.exit);
        assertTrue(help.toString(), help.out.startsWith("usage: ferryd-systemd-unit [FERRYD OPTION]...\n"));
        assertTrue(help.toString(), !help.out.contains("ExecStart="));
    }

    @Test
    public void anOptionFerrydWouldRefuseIsRefusedWhenTheUnitIsPrintedNotAtEachRestart() throws Exception {
        String printer = Installation.HOME.resolve("bin/ferryd-systemd-unit").toString();
        Run misspelt = run(List.of(printer, "--state-dir", "/var/lib/ferry", "--finsh-wait", "5"));
        assertEquals(misspelt.toString(), new Run(2, "", "ferryd-systemd-unit: unknown option '--finsh-wait' (ferryd --help lists them)\n"),
                misspelt);
        Run bad = run(List.of(printer, "--finish-wait", "-5"));
        assertEquals(bad.toString(), new Run(1, "", "ferryd-systemd-unit: --finish-wait '-5' is not a whole number of seconds from 0 to "
                + "2147483647\n"), bad);
    }

    @Test
    public void aRelativePathIsTheOneTheOperatorMeantNotOneUnderRoot() throws Exception {
        Path here = Files.createDirectories(Installation.work().resolve("unit-cwd " + System.nanoTime()));
        Run printed = run(List.of(Installation.HOME.resolve("bin/ferryd-systemd-unit").toString(), "--state-dir", "var",
                "--shared-path=images", "--hostname", "host-a"), here);
        assertEquals(printed.toString(), 0, printed.exit);
        String absolute = here.toRealPath().toString();
        assertTrue(printed.out, printed.out.lines().toList().contains("ExecStart=\"" + Installation.HOME.toRealPath().resolve("bin/ferryd")
                + "\" \"--state-dir\" \"" + absolute + "/var\" \"--shared-path=" + absolute + "/images\" \"--hostname\" \"host-a\""));
    }

    private record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    private static Run run(List<String> command) throws Exception {
        return run(command, null);
    }

    private static Run run(List<String> command, Path directory) throws Exception {
        Path err = Files.createTempFile(Installation.work(), "unit-err", ".txt");
        Process process = new ProcessBuilder(command).directory(directory == null ? null : directory.toFile()).redirectError(err.toFile())
                .start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(String.join(" ", command) + " did not finish", process.waitFor(60, TimeUnit.SECONDS));
        return new Run(process.exitValue(), out, Files.readString(err, StandardCharsets.UTF_8));
    }
}
