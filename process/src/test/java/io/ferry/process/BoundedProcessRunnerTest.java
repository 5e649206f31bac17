package io.ferry.process;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.host.ProcessRunner;
import io.ferry.api.host.ProcessRunner.Result;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The process runner against real shell scripts that misbehave as hooks and tools can. */
public class BoundedProcessRunnerTest {
    private static final Duration LIMIT = Duration.ofSeconds(1);
    private static final Duration PLENTY = Duration.ofSeconds(60);

    @Rule
    public final TemporaryFolder tmp = new TemporaryFolder();
    private final BoundedProcessRunner runner = new BoundedProcessRunner();

    @After
    public void close() {
        runner.close();
    }

    /** An executable {@code /bin/sh} script; {@code $PIDS} in it is a file to write process ids into. */
    private Path script(String body) throws IOException {
        Path script = tmp.newFile().toPath();
        Files.writeString(script, "#!/bin/sh\nPIDS=" + pids() + "\n" + body, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    private Path pids() {
        return tmp.getRoot().toPath().resolve("pids");
    }

    private Result run(Path script, byte[] stdin, Duration limit) throws IOException {
        return runner.run("test script " + script.getFileName(), List.of(script.toString()), stdin, limit);
    }

    private void assertTimesOut(Path script, byte[] stdin) {
        IOException e = assertThrows(IOException.class, () -> run(script, stdin, LIMIT));
        assertEquals("test script " + script.getFileName() + " did not finish within 1 s", e.getMessage());
    }

    /** Every process whose id the script wrote down is killed (gone, or a zombie nobody reaped yet). */
    private void assertKilled() throws Exception {
        List<String> pids = Files.readAllLines(pids());
        assertFalse("the script wrote no process ids", pids.isEmpty());
        for (String pid : pids) {
            Path stat = Path.of("/proc", pid.trim(), "stat");
            for (int i = 0; i < 100 && running(stat); i++) {
                Thread.sleep(100); // SIGKILL was sent; the kernel takes a moment
            }
            assertFalse("process " + pid + " still runs", running(stat));
        }
    }

    private static boolean running(Path stat) {
        try {
            String line = Files.readString(stat);
            return line.charAt(line.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    public void exitStatusStdoutAndStderrAreReported() throws Exception {
        Result result = run(script("echo out; echo 'no bridge named br9' >&2; exit 3"), null, PLENTY);
        assertEquals(new Result(3, "out\n", false, "no bridge named br9\n"), result);
        IOException e = assertThrows(IOException.class, () -> result.requireSuccess("ovs-vsctl add-port br9 p"));
        assertEquals("ovs-vsctl add-port br9 p failed (exit 3): no bridge named br9", e.getMessage());
        assertEquals(0, run(script("exit 0"), null, PLENTY).requireSuccess("x").exitStatus());
    }

    @Test
    public void stdinIsDelivered() throws Exception {
        byte[] xml = "<domain type='sim'><name>vm</name></domain>".getBytes(StandardCharsets.UTF_8);
        assertEquals(new String(xml, StandardCharsets.UTF_8), run(script("cat"), xml, PLENTY).stdout());
    }

    @Test
    public void aProgramThatDoesNotReadItsStdinIsFine() throws Exception {
        byte[] megabyte = new byte[1 << 20]; // more than a pipe holds
        assertEquals("ignored\n", run(script("echo ignored"), megabyte, PLENTY).requireSuccess("x").stdout());
        assertEquals("read some\n", run(script("head -c 10 > /dev/null; echo read some"), megabyte, PLENTY).stdout());
    }

    @Test
    public void largeOutputIsBoundedAndDrained() throws Exception {
        Result result = run(script("head -c 1000000 /dev/zero | tr '\\0' o; head -c 1000000 /dev/zero | tr '\\0' e >&2; exit 4"),
                null, PLENTY);
        assertEquals(4, result.exitStatus());
        assertTrue(result.stdoutTruncated());
        char[] out = new char[ProcessRunner.OUTPUT_LIMIT];
        Arrays.fill(out, 'o');
        assertEquals(new String(out), result.stdout());
        assertEquals(ProcessRunner.OUTPUT_LIMIT, result.stderr().length());
        assertTrue(result.stderr().chars().allMatch(c -> c == 'e'));
    }

    @Test
    public void aProgramThatCannotStartSaysWhy() throws Exception {
        Path missing = tmp.getRoot().toPath().resolve("missing");
        IOException e = assertThrows(IOException.class, () -> runner.run("hook script " + missing, List.of(missing.toString()), null, PLENTY));
        assertEquals("cannot run hook script " + missing + ": No such file or directory", e.getMessage());
        Path notExecutable = tmp.newFile("plain").toPath();
        e = assertThrows(IOException.class, () -> runner.run("tool", List.of(notExecutable.toString()), null, PLENTY));
        assertEquals("cannot run tool: Permission denied", e.getMessage());
    }

    @Test
    public void noCommandOrNoTimeIsRefusedBeforeAnythingRuns() {
        assertEquals("cannot run hook: no command", assertThrows(IllegalArgumentException.class,
                () -> runner.run("hook", List.of(), null, PLENTY)).getMessage());
        for (Duration limit : List.of(Duration.ZERO, Duration.ofSeconds(-1))) {
            assertEquals("cannot run hook: time limit " + limit, assertThrows(IllegalArgumentException.class,
                    () -> runner.run("hook", List.of("true"), null, limit)).getMessage());
        }
    }

    @Test
    public void aRunWithoutStdinTakesOnlyItsTwoOutputThreads() throws Exception {
        for (byte[] none : Arrays.asList(null, new byte[0])) {
            try (BoundedProcessRunner twoThreads = new BoundedProcessRunner(2)) {
                assertEquals(new Result(0, "no input\n", false, ""),
                        twoThreads.run("echo", List.of("echo", "no input"), none, PLENTY));
            }
        }
    }

    @Test
    public void aProgramThatHangsWithStderrOpenIsKilledAtTheLimit() throws Exception {
        Path script = script("echo $$ > $PIDS; echo 'working on it' >&2; exec sleep 600");
        assertTimesOut(script, "<domain/>".getBytes(StandardCharsets.UTF_8));
        assertKilled();
    }

    @Test
    public void aProgramThatHangsNotReadingItsStdinIsKilledAtTheLimit() throws Exception {
        Path script = script("echo $$ > $PIDS; exec sleep 600");
        assertTimesOut(script, new byte[1 << 20]);
        assertKilled();
    }

    @Test
    public void aChildHoldingStdoutAfterItsParentExitedIsKilledAtTheLimit() throws Exception {
        // the subshell exits at once: its sleep is orphaned, no longer the script's descendant, and holds stdout
        Path script = script("(sleep 600 & echo $! > $PIDS)\necho parent done\nexit 0");
        assertTimesOut(script, null);
        assertKilled();
    }

    @Test
    public void aDetachedBackgroundProcessDoesNotHoldTheRun() throws Exception {
        Path script = script("sleep 600 > /dev/null 2>&1 < /dev/null & echo $! > $PIDS\necho started");
        try {
            assertEquals(new Result(0, "started\n", false, ""), run(script, null, PLENTY));
        } finally {
            ProcessHandle.of(Long.parseLong(Files.readString(pids()).trim())).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    public void aChildOfAHangingParentIsKilledWithIt() throws Exception {
        Path script = script("sleep 600 & echo $! > $PIDS\necho $$ >> $PIDS\nwait");
        assertTimesOut(script, null);
        assertKilled();
    }

    @Test
    public void anInterruptedCallerKillsTheProgram() throws Exception {
        Path script = script("echo $$ > $PIDS; exec sleep 600");
        Thread caller = Thread.currentThread();
        Thread interrupter = new Thread(() -> {
            while (!Files.exists(pids())) {
                Thread.onSpinWait();
            }
            caller.interrupt();
        });
        interrupter.start();
        try {
            IOException e = assertThrows(InterruptedIOException.class, () -> run(script, null, PLENTY));
            assertEquals("interrupted while running test script " + script.getFileName(), e.getMessage());
            assertTrue("the interrupt flag is kept", Thread.interrupted());
        } finally {
            interrupter.join();
            Thread.interrupted();
        }
        assertKilled();
    }

    @Test
    public void aRunBeyondThePipeThreadsFailsAtOnceAndKillsItsProgram() throws Exception {
        // sleep itself, started by the runner: it runs from the moment the spawn returns, and is found by its argument
        String seconds = "600." + ProcessHandle.current().pid();
        try (BoundedProcessRunner oneThread = new BoundedProcessRunner(1)) {
            IOException e = assertThrows(IOException.class, () -> oneThread.run("sleep", List.of("sleep", seconds), null, PLENTY));
            assertEquals("cannot run sleep: all 1 pipe threads are busy", e.getMessage());
        }
        for (int i = 0; i < 100 && sleepers(seconds) > 0; i++) {
            Thread.sleep(100);
        }
        assertEquals("sleep " + seconds + " processes left", 0, sleepers(seconds));
    }

    private static long sleepers(String seconds) {
        return ProcessHandle.allProcesses().filter(p -> running(Path.of("/proc", Long.toString(p.pid()), "stat"))
                && p.info().arguments().map(a -> Arrays.asList(a).contains(seconds)).orElse(false)).count();
    }
}
