package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.Test;

/**
 * ferryd's temporary files (FileInstall's directories among them) live in its state directory's {@code tmp/}, which
 * each start empties: a daemon stopped or killed leaves nothing in the system's temporary directory.
 */
public class TemporaryFilesIT {
    @Test
    public void aDaemonKilledOrStoppedLeavesNothingInTheSystemsTemporaryDirectory() throws Exception {
        Path systemTmp = Files.createDirectories(Installation.WORK.resolve("system-tmp-" + System.nanoTime()));
        Map<String, String> env = Map.of("FERRYD_JAVA_OPTS", "-Djava.io.tmpdir=" + systemTmp);
        try (DaemonProcess daemon = DaemonProcess.start("tmp", env)) {
            daemon.url();
            daemon.kill();
            assertEquals("left in java.io.tmpdir by a daemon killed", List.of(), names(systemTmp));
            List<String> leftByTheKilled = names(daemon.stateDir.resolve("tmp"));
            assertFalse("the daemon made no temporary file at all: this test proves nothing", leftByTheKilled.isEmpty());

            try (DaemonProcess restarted = daemon.restart()) {
                restarted.url();
                List<String> now = names(restarted.stateDir.resolve("tmp"));
                assertTrue("the restart did not empty tmp/: " + now, now.stream().noneMatch(leftByTheKilled::contains));
                restarted.terminate();
            }
            assertEquals("left in java.io.tmpdir by a daemon stopped", List.of(), names(systemTmp));
        }
    }

    @Test
    public void aRunDirectoryInTheTemporaryDirectoryIsRefused() throws Exception {
        Path state = Files.createDirectories(Installation.WORK.resolve("tmp-run-" + System.nanoTime()).resolve("state"));
        DaemonProcess.Refusal refusal = DaemonProcess.refusedOn(Installation.HOME, state, "--run-dir", state.resolve("tmp/run").toString());
        assertEquals(refusal.toString(), 1, refusal.exit());
        assertEquals("ferryd: the run directory " + state.resolve("tmp/run") + " is in the state directory's tmp/, which ferryd"
                + " empties at every start: choose another --run-dir (runDir)\n", refusal.stderr());
    }

    @Test
    public void anOfflineCommandDeletesWhatOneKilledLeftAndLeavesNothingItself() throws Exception {
        Path systemTmp = Files.createDirectories(Installation.WORK.resolve("cli-tmp-" + System.nanoTime()));
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        String pidNamespace = Long.toString(Long.parseLong(Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString()
                .replaceAll("[^0-9]", "")), 36);
        Path leftByAKilledCommand = Files.createDirectories(systemTmp.resolve("ferry-offline-" + pidNamespace + "-" + gone.pid()
                + "-1").resolve("state"));
        Files.writeString(leftByAKilledCommand.resolve("host-uuid"), "9d3b8d2b-8f5e-4b34-a7c5-0f6bb1e0a4d1\n");
        Path anotherUsersOrAnEarlierVersions = Files.createDirectories(systemTmp.resolve("ferry-offline-1234567"));
        Path anotherPidNamespaces = Files.createDirectories(systemTmp.resolve("ferry-offline-1-" + gone.pid() + "-2"));

        Installation.ferryOk(Map.of("FERRY_JAVA_OPTS", "-Djava.io.tmpdir=" + systemTmp), "cookie", "bake", "--phase", "begin",
                "--name", "vm", "--uuid", "9d3b8d2b-8f5e-4b34-a7c5-0f6bb1e0a4d1");
        assertEquals("left in java.io.tmpdir by offline commands",
                Stream.of(anotherUsersOrAnEarlierVersions, anotherPidNamespaces)
                        .map(directory -> directory.getFileName().toString()).sorted().toList(), names(systemTmp));
    }

    private static List<String> names(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(file -> file.getFileName().toString()).sorted().toList();
        }
    }
}
