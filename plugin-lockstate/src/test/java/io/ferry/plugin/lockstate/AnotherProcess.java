package io.ferry.plugin.lockstate;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A process other than the test's holding a shared lock on a file (fcntl F_RDLCK, which needs only read access), as
 * {@code python3 -c 'import fcntl; f = open(FILE); fcntl.lockf(f, fcntl.LOCK_SH); input()'} does: a lock of this JVM's
 * would throw OverlappingFileLockException at the manager rather than make it wait.
 */
final class AnotherProcess implements AutoCloseable {
    private static final String LOCKED = "locked";

    private final Process process;

    private AnotherProcess(Process process) {
        this.process = process;
    }

    /** Returns once the lock is held; closing it ends the process, and its lock goes with it. */
    static AnotherProcess holdingASharedLockOn(Path file) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath;
        try {
            classPath = Path.of(AnotherProcess.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .toString();
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        Process process = new ProcessBuilder(java, "-cp", classPath, AnotherProcess.class.getName(), file.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        AnotherProcess holder = new AnotherProcess(process);
        String line = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        if (!LOCKED.equals(line)) {
            holder.close();
            throw new IOException("the process that was to lock " + file + " said " + line);
        }
        return holder;
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Locks the file named, shared, says so, and holds the lock until its input ends or it is killed. */
    public static void main(String[] args) throws IOException {
        try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.READ)) {
            channel.lock(0, Long.MAX_VALUE, true);
            System.out.println(LOCKED);
            System.out.flush();
            while (System.in.read() >= 0) {
                // held until the test ends this process
            }
        }
    }
}
