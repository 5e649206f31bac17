package io.ferry.driver.sim;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.rules.ExternalResource;

/**
 * A file system that fills up: a tmpfs of a few MiB mounted for one test ({@code mount -t tmpfs}; the tests run
 * as root, here and in CI, and fail if the mount does).
 */
final class SmallDisk extends ExternalResource {
    private final long bytes;
    private Path mount;

    SmallDisk(long bytes) {
        this.bytes = bytes;
    }

    @Override
    protected void before() throws Throwable {
        mount = Files.createTempDirectory("ferry-small-disk");
        run("mount", "-t", "tmpfs", "-o", "size=" + bytes, "tmpfs", mount.toString());
    }

    @Override
    protected void after() {
        try {
            run("umount", "--lazy", mount.toString()); // a closed VM's memory stays mapped until it is collected
            Files.delete(mount);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("cannot unmount " + mount + ": " + e.getMessage(), e);
        }
    }

    Path path() {
        return mount;
    }

    long free() throws IOException {
        return Files.getFileStore(mount).getUsableSpace();
    }

    /** Takes all the free space but {@code leave} bytes with a file of its own. */
    void fillAllBut(long leave) throws IOException {
        try (FileChannel filler = FileChannel.open(Files.createTempFile(mount, "filler", ""), StandardOpenOption.WRITE)) {
            ByteBuffer block = ByteBuffer.allocate(64 * 1024);
            for (long left = free() - leave; left > 0; left -= block.capacity()) {
                block.clear().limit((int) Math.min(block.capacity(), left));
                filler.write(block);
            }
        }
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " failed: " + output);
        }
    }
}
