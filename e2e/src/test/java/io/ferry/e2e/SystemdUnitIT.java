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

    private record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    private static Run run(List<String> command) throws Exception {
        Path err = Files.createTempFile(Installation.work(), "unit-err", ".txt");
        Process process = new ProcessBuilder(command).redirectError(err.toFile()).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(String.join(" ", command) + " did not finish", process.waitFor(60, TimeUnit.SECONDS));
        return new Run(process.exitValue(), out, Files.readString(err, StandardCharsets.UTF_8));
    }
}
