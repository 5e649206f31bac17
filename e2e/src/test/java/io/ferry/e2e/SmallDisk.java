package io.ferry.e2e;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A file system that fills up: a tmpfs of a given size ({@code mount -t tmpfs -o size=…}) under the tests' work
 * directory. The tests run as root, here and in CI; a mount that fails fails the test. Close it in a finally
 * block (try-with-resources), after the daemons that use it.
 */
final class SmallDisk implements AutoCloseable {
    private final Path mount;
    private final Path filler;

    private SmallDisk(Path mount) {
        this.mount = mount;
        this.filler = mount.resolve("filler");
    }

    static SmallDisk mount(String size) throws Exception {
        Path mount = Files.createTempDirectory(Installation.work(), "small-disk");
        run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", mount.toString());
        return new SmallDisk(mount);
    }

    Path path() {
        return mount;
    }

    long free() throws IOException {
        return Files.getFileStore(mount).getUsableSpace();
    }

    /** Takes all the free space but {@code leave} bytes (a multiple of the 4 KiB page) with a file of its own. */
    void fillAllBut(long leave) throws IOException {
        try (FileChannel channel = FileChannel.open(filler, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            ByteBuffer block = ByteBuffer.allocate(1 << 20);
            for (long left = free() - leave; left > 0; left -= block.limit()) {
                block.clear().limit((int) Math.min(block.capacity(), left));
                while (block.hasRemaining()) {
                    channel.write(block);
                }
            }
        }
    }

    /** Gives back what {@link #fillAllBut} took. */
    void empty() throws IOException {
        Files.deleteIfExists(filler);
    }

    @Override
    public void close() throws Exception {
        run("umount", "--lazy", mount.toString()); // lazy: a killed daemon's files may still be open for a moment
        Files.delete(mount);
    }

    private static void run(String... command) throws Exception {
        Process process = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " failed: " + output);
        }
    }
}
