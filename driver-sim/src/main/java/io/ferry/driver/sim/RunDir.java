package io.ferry.driver.sim;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * A VM's files in the run directory the core gives it: {@code memory} (the guest RAM) and {@code state}
 * ({@code running} or {@code paused}, and the host's boot it was written in), both kept across a daemon restart.
 * A VM outlives its daemon, not its host: after the host restarted, its files are a VM that is gone. So the state
 * need only survive the daemon's crash and is written without an fsync.
 */
final class RunDir {
    private static final String RUNNING = "running";
    private static final String PAUSED = "paused";
    /** This boot of the host (Linux); empty where the system does not say, and then every boot looks the same. */
    private static final String BOOT = bootId();

    private final Path dir;

    RunDir(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    Path path() {
        return dir;
    }

    Path memory() {
        return dir.resolve("memory");
    }

    Path state() {
        return dir.resolve("state");
    }

    /** Records the run state so that a crash of the daemon at any point leaves either the old or the new one. */
    void writeState(boolean running) throws IOException {
        Path temp = dir.resolve("state.tmp");
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            channel.write(ByteBuffer.wrap(((running ? RUNNING : PAUSED) + " " + BOOT + "\n").getBytes(StandardCharsets.US_ASCII)));
        }
        Files.move(temp, state(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Whether the recorded state was written in an earlier boot of the host: its VM died with the host. So did that of
     * a state a power cut emptied (nothing, or NUL bytes: its rename outlived its data, which was not synced), which a
     * crash of the daemon alone never leaves.
     */
    boolean fromEarlierBoot() throws IOException {
        if (!Files.exists(state())) {
            return false;
        }
        String text = Files.readString(state(), StandardCharsets.US_ASCII);
        if (text.chars().allMatch(c -> c == 0)) {
            return true;
        }
        String[] words = text.trim().split(" ", 2);
        return words.length == 2 && !BOOT.isEmpty() && !words[1].equals(BOOT);
    }

    /** The recorded run state: true for running; empty if none was recorded. */
    Optional<Boolean> readState() throws IOException {
        if (!Files.exists(state())) {
            return Optional.empty();
        }
        String state = Files.readString(state(), StandardCharsets.US_ASCII).trim().split(" ", 2)[0];
        return switch (state) {
            case RUNNING -> Optional.of(true);
            case PAUSED -> Optional.of(false);
            default -> throw new IOException("unreadable run state '" + state + "' in " + state());
        };
    }

    void deleteState() throws IOException {
        Files.deleteIfExists(state());
        Files.deleteIfExists(dir.resolve("state.tmp"));
    }

    /** Removes the directory if nothing is left in it. */
    void deleteIfEmpty() throws IOException {
        try {
            Files.deleteIfExists(dir);
        } catch (DirectoryNotEmptyException e) {
            // something of someone else's: it stays
        }
    }

    private static String bootId() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/random/boot_id"), StandardCharsets.US_ASCII).trim();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
