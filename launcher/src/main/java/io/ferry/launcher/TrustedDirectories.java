package io.ferry.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The directories ferryd takes code and settings from ({@code lib/}, {@code bundle/}, {@code deploy/}, {@code etc/}
 * with its hook script) and keeps its state and guests in: whoever may write one runs code as ferryd (a bundle dropped
 * into {@code deploy/}, a hook script, Config Admin's files) or rewrites its journal. So, as sshd's StrictModes, each
 * must be its user's or root's and closed to writes by its group and others, and so must what is directly in the code
 * and settings directories and every directory above each (a sticky one, {@code /tmp}, may be others' to write: none
 * of them can rename what is not theirs there). A directory ferryd made itself is its user's alone already. The CLI's
 * offline runtime runs the same code, as whoever runs {@code ferry} (root, with sudo), so it is held to the same.
 */
final class TrustedDirectories {
    private static final int GROUP_OR_OTHER_WRITE = 0022;
    private static final int STICKY = 01000;

    private TrustedDirectories() {
    }

    /**
     * Refuses the installation's code and settings ({@code lib/}, {@code bundle/}, {@code etc/} and {@code etc/hooks/})
     * if another user could write them. The deploy directory each caller checks: where it is, and whether it must exist, differ.
     *
     * @param runner what runs the code, as the refusal names it: {@code ferryd}, or {@code ferry} offline
     */
    static void checkInstallation(String runner, FerryHome home) throws IOException {
        check(runner, "library directory", home.root().resolve("lib"), true);
        check(runner, "bundle directory", home.bundles(), true);
        check(runner, "settings directory", home.etc(), true);
        Path hooks = home.etc().resolve("hooks");
        if (Files.isDirectory(hooks)) {
            check(runner, "hook directory", hooks, true);
        }
    }

    /** Refuses {@code directory}, or anything in it when {@code withEntries}, that another user could write. */
    static void check(String runner, String what, Path directory, boolean withEntries) throws IOException {
        int self = uid(Path.of("/proc/self"));
        Path real = directory.toRealPath();
        for (Path above = real.getParent(); above != null; above = above.getParent()) {
            int mode = mode(above);
            if ((mode & STICKY) == 0) {
                require(runner, what, directory, above, self, mode);
            }
        }
        require(runner, what, directory, real, self, mode(real));
        if (withEntries) {
            try (Stream<Path> entries = Files.list(real)) {
                for (Path entry : (Iterable<Path>) entries::iterator) {
                    Path target = entry.toRealPath();
                    require(runner, what, directory, target, self, mode(target));
                    if (Files.isDirectory(target) && !target.startsWith(real)) {
                        check(runner, what, target, false); // a link out of the directory: where it leads must be as safe
                    }
                }
            }
        }
    }

    private static void require(String runner, String what, Path directory, Path path, int self, int mode)
            throws IOException {
        int owner = uid(path);
        if (owner != 0 && owner != self) {
            throw new IOException("the " + what + " " + directory + " cannot be trusted: " + path + " belongs to user " + owner
                    + ", neither root nor " + runner + "'s user, who could put code or settings there that " + runner
                    + " runs or reads; chown it to root");
        }
        if ((mode & GROUP_OR_OTHER_WRITE) != 0) {
            throw new IOException("the " + what + " " + directory + " cannot be trusted: " + path + " may be written by its"
                    + " group or others (mode " + Integer.toOctalString(mode & 07777) + "), who could put code or settings"
                    + " there that " + runner + " runs or reads; chmod go-w " + path);
        }
    }

    private static int mode(Path path) throws IOException {
        return (Integer) Files.getAttribute(path, "unix:mode");
    }

    private static int uid(Path path) throws IOException {
        return (Integer) Files.getAttribute(path, "unix:uid");
    }
}
