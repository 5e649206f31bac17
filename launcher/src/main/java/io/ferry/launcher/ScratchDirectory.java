package io.ferry.launcher;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.util.Set;

/**
 * A command's throw-away directory in the system's temporary directory, {@code PREFIX<PID namespace>-<pid>-<random>}:
 * deleted when closed or, should the JVM end first (Ctrl-C, SIGTERM), by a shutdown hook. What a command killed
 * outright (SIGKILL, a power cut) left, the next one of the same prefix deletes, its process being gone: so a host does
 * not collect them, command after command. Only a directory of this PID namespace: a process id says nothing of a
 * command in another one (a container sharing the temporary directory), which may be alive.
 */
public final class ScratchDirectory implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private final Path path;
    private final Thread hook;

    private ScratchDirectory(Path path) {
        this.path = path;
        this.hook = new Thread(() -> delete(path), "delete " + path);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** @param prefix such as {@code ferry-offline-}: the PID namespace, the process id and a random part follow it */
    public static ScratchDirectory create(String prefix) throws IOException {
        return create(Path.of(System.getProperty("java.io.tmpdir")), prefix, pidNamespace());
    }

    /** @param namespace this process's PID namespace, as {@link #pidNamespace} reads it; empty: unknown */
    static ScratchDirectory create(Path tmp, String prefix, String namespace) throws IOException {
        String own = prefix + (namespace.isEmpty() ? "" : namespace + "-");
        Path path = createUnique(tmp, own + ProcessHandle.current().pid() + "-");
        if (!namespace.isEmpty()) { // else nothing tells which process ids are ours to look up
            deleteLeftBehind(tmp, own, Files.getOwner(path));
        }
        return new ScratchDirectory(path);
    }

    /**
     * {@code name} and 8 random characters, this user's alone. Not {@link Files#createTempDirectory}, whose random part
     * is up to 20 digits: the demo's QEMU sockets lie below this directory, and a unix socket's path has 108 bytes.
     */
    private static Path createUnique(Path tmp, String name) throws IOException {
        while (true) {
            String random = Long.toString(RANDOM.nextLong() >>> 23, 36); // 41 bits
            try {
                return Files.createDirectory(tmp.resolve(name + random), OWNER_ONLY);
            } catch (FileAlreadyExistsException e) {
                // drawn before: draw again
            }
        }
    }

    /**
     * This process's PID namespace: the inode number of {@code /proc/self/ns/pid} ({@code pid:[4026531836]}) in base
     * 36, short for the same reason; "" if it cannot be read.
     */
    static String pidNamespace() {
        try {
            String link = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
            String inode = link.startsWith("pid:[") && link.endsWith("]") ? link.substring(5, link.length() - 1) : "";
            return Long.toString(Long.parseLong(inode), 36);
        } catch (IOException | NumberFormatException | UnsupportedOperationException | SecurityException e) {
            return "";
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            return; // the JVM is ending: the hook deletes it
        }
        delete(path);
    }

    /**
     * This user's directories of {@code prefix} (with this PID namespace) whose process is gone; in a shared /tmp,
     * others' are not ours.
     */
    private static void deleteLeftBehind(Path tmp, String prefix, UserPrincipal user) {
        try (DirectoryStream<Path> directories = Files.newDirectoryStream(tmp, prefix + "*")) {
            for (Path directory : directories) {
                String rest = directory.getFileName().toString().substring(prefix.length());
                int dash = rest.indexOf('-');
                if (dash > 0 && rest.substring(0, dash).chars().allMatch(Character::isDigit)
                        && ProcessHandle.of(Long.parseLong(rest.substring(0, dash))).isEmpty()
                        && Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)
                        && user.equals(Files.getOwner(directory, LinkOption.NOFOLLOW_LINKS))) {
                    delete(directory);
                }
            }
        } catch (IOException | DirectoryIteratorException | NumberFormatException e) {
            // what is left stays for the next command; this one's own directory is fine
        }
    }

    private static void delete(Path directory) {
        try {
            TemporaryDirectory.empty(directory);
            Files.delete(directory);
        } catch (IOException e) {
            // a directory left behind: the next command of its prefix deletes it
        }
    }
}
