package io.ferry.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A started program and the processes it starts, so that all of them can be killed. A process whose parent died
 * is re-parented to init and is no longer among the program's descendants, while it may still hold the program's
 * stdout open; so each run puts a tag of its own into the program's environment, which the processes it starts
 * inherit, and the kill looks for that tag in {@code /proc} as well. (A process that empties its environment and
 * leaves the tree escapes both; only a cgroup would hold it.)
 */
final class ProcessTree {
    /** The environment variable that marks a run's processes. */
    static final String TAG = "FERRY_PROCESS_TAG";
    private static final Path PROC = Path.of("/proc");

    private final Process process;
    private final String marker;

    private ProcessTree(Process process, String marker) {
        this.process = process;
        this.marker = marker;
    }

    /** Starts {@code command} with a fresh tag; {@link ProcessBuilder#start()}'s exceptions as they are. */
    static ProcessTree start(List<String> command) throws IOException {
        String tag = UUID.randomUUID().toString();
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put(TAG, tag);
        return new ProcessTree(builder.start(), "\0" + TAG + "=" + tag + "\0");
    }

    Process process() {
        return process;
    }

    /** Kills (SIGKILL) the program, its descendants and every process with its tag; waits for none of them. */
    void kill() {
        ProcessHandle root = process.toHandle();
        List<ProcessHandle> found = Stream.concat(root.descendants(), tagged()).toList();
        root.destroyForcibly();
        found.forEach(ProcessHandle::destroyForcibly);
        tagged().forEach(ProcessHandle::destroyForcibly); // those forked while the others were being killed
    }

    /**
     * Waits until no process of the tree holds the program's stdout or stderr, that is, a pipe as its fd 1 or 2
     * (that the pipe is the program's cannot be told once the program is gone; a detached process writes elsewhere).
     */
    void awaitPipeHolders(long nanos) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + nanos;
        for (List<ProcessHandle> holders = pipeHolders(); !holders.isEmpty(); holders = pipeHolders()) {
            try {
                CompletableFuture.allOf(holders.stream().map(ProcessHandle::onExit).toArray(CompletableFuture[]::new))
                        .get(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                throw new IllegalStateException(e); // onExit never fails
            }
        }
    }

    List<ProcessHandle> pipeHolders() {
        return tagged().filter(p -> isPipe(p.pid(), 1) || isPipe(p.pid(), 2)).toList();
    }

    private static boolean isPipe(long pid, int fd) {
        try {
            return Files.readSymbolicLink(PROC.resolve(pid + "/fd/" + fd)).toString().startsWith("pipe:");
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    private Stream<ProcessHandle> tagged() {
        if (!Files.isDirectory(PROC)) {
            return Stream.empty();
        }
        long self = ProcessHandle.current().pid();
        return ProcessHandle.allProcesses().filter(p -> p.pid() != self && p.isAlive() && carriesTag(p.pid()));
    }

    private boolean carriesTag(long pid) {
        try {
            byte[] environ = Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("environ"));
            // NUL-separated entries, the last one NUL-terminated too; Latin-1 maps each byte to one char
            return ("\0" + new String(environ, StandardCharsets.ISO_8859_1)).contains(marker);
        } catch (IOException | SecurityException e) {
            return false; // gone since, or another user's
        }
    }
}
