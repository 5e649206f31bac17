package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A VM's files in the run directory the core gives it, all gone with the VM: {@code qmp.sock}, {@code qemu.pid}, the
 * daemon's record of the QEMU it started ({@code qemu.started}, {@link StartRecord}), and the unix socket the source's
 * QEMU sends its memory to through the core's stream ({@code out.sock}; the destination's QEMU reads its own from a
 * pipe, {@link IncomingFeed}). The directory stays the daemon's, which its QEMU's user ({@link QemuUser}) may enter
 * but neither list nor change, so that a QEMU a guest took over cannot put links, or records, where the daemon writes.
 */
record RunFiles(Path dir) {
    /** A unix socket's path holds at most 107 bytes (sun_path). */
    private static final int MAX_SOCKET_PATH = 107;

    RunFiles {
        dir = dir.toAbsolutePath().normalize();
    }

    Path qmp() {
        return dir.resolve("qmp.sock");
    }

    Path pidfile() {
        return dir.resolve("qemu.pid");
    }

    Path outgoing() {
        return dir.resolve("out.sock");
    }

    /** The daemon's record of the QEMU it started here ({@link StartRecord}). */
    Path started() {
        return dir.resolve("qemu.started");
    }

    /** Refuses a run directory too long for its sockets, qmp.sock and out.sock (as long as each other). */
    void check() throws HypervisorException {
        if (outgoing().toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            throw new HypervisorException("the run directory " + dir + " is too long for QEMU's unix sockets (at most "
                    + (MAX_SOCKET_PATH - "/out.sock".length()) + " bytes): use a shorter state directory");
        }
    }

    /**
     * Deletes what a previous VM left; with a {@code user}, the run directory becomes enterable by that user's group
     * ({@code rwx--x---}: no listing).
     */
    void prepare(QemuUser user) throws IOException, HypervisorException {
        Files.createDirectories(dir);
        delete();
        if (user == null) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            return;
        }
        user.checkCanReach(dir);
        user.giveGroup(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x---"));
    }

    /** Lets {@code user} (if any) connect to {@code out.sock}, which the daemon listens on; the others stay out. */
    void openOutgoingTo(QemuUser user) throws IOException {
        if (user != null) {
            user.giveGroup(outgoing());
            Files.setPosixFilePermissions(outgoing(), PosixFilePermissions.fromString("rw-rw----"));
        }
    }

    void delete() throws IOException {
        for (Path file : new Path[] {qmp(), pidfile(), started(), outgoing()}) {
            Files.deleteIfExists(file);
        }
    }

    /**
     * The text of {@code file} (the {@code what} of a VM, such as its {@code QEMU pidfile}) if it matches
     * {@code format}; empty if there is no such file. A file QEMU writes is a guest's to write once it took QEMU over:
     * it is read only if a regular file (a FIFO would block, /dev/zero never end), and at most {@code maxBytes} of it;
     * other text is an error quoting at most that much, saying the file {@code isNot} what it should be.
     */
    static Optional<Matcher> read(Path file, String what, Pattern format, String isNot, int maxBytes)
            throws HypervisorException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty();
            }
            throw new HypervisorException(what + " " + file + " is not a regular file");
        }
        byte[] head;
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            head = in.readNBytes(maxBytes + 1);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new HypervisorException("unreadable " + what + " " + file + ": " + e.getMessage(), e);
        }
        String text = new String(head, StandardCharsets.US_ASCII).trim();
        Matcher matcher = format.matcher(text);
        if (head.length > maxBytes || !matcher.matches()) {
            throw new HypervisorException(what + " " + file + " " + isNot + ": '"
                    + text.substring(0, Math.min(text.length(), maxBytes)).replaceAll("[^ -~]", "?") + "'");
        }
        return Optional.of(matcher);
    }
}
