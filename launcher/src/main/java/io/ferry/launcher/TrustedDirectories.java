package io.ferry.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.stream.Stream;

/**
 * The directories ferryd takes code and settings from ({@code lib/}, {@code bundle/}, {@code deploy/}, {@code etc/}
 * with its hook script) and keeps its state and guests in: whoever may write one runs code as ferryd (a bundle dropped
 * into {@code deploy/}, a hook script, Config Admin's files) or rewrites its journal. So, as sshd's StrictModes, each
 * must be its user's or root's and closed to writes by its group and others, and so must what is directly in the code
 * and settings directories, every directory above each, and above where an entry's link leads, out of the directory or
 * deeper in it (a sticky one, {@code /tmp}, may be others' to write, but root's or its user's: none of its writers can
 * rename what is not theirs there, its owner can). ferryd keeps using each directory by the path it was given, so each
 * link on that path is held to the same: root's or its user's, in directories only they may write (a sticky one
 * aside). A directory ferryd made itself is closed to others' writes already ({@link PrivateDirectories}). The CLI's
 * offline runtime runs the same code, as whoever runs {@code ferry} (root, with sudo), so it is held to the same.
 */
final class TrustedDirectories {
    private static final int GROUP_OR_OTHER_WRITE = 0022;
    private static final int STICKY = 01000;
    /** The links the kernel follows on one path before it gives up (Linux's MAXSYMLINKS). */
    private static final int MAX_LINKS = 40;

    private TrustedDirectories() {
    }

    /**
     * Refuses the installation's code and settings ({@code bin/}, {@code lib/}, {@code bundle/}, {@code etc/} and
     * {@code etc/hooks/}) if another user could write them: root runs {@code bin/} (the unit, {@code sudo ferry}).
     * The deploy directory each caller checks: where it is, and whether it must exist, differ.
     *
     * @param runner what runs the code, as the refusal names it: {@code ferryd}, or {@code ferry} offline
     */
    static void checkInstallation(String runner, FerryHome home) throws IOException {
        Path scripts = home.root().resolve("bin");
        if (Files.isDirectory(scripts)) { // the tests' installations have none
            check(runner, "script directory", scripts, true);
        }
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
        requireFixedLinks(runner, what, directory, directory, self);
        requireAbove(runner, what, directory, real, null, self);
        require(runner, what, directory, real, self, mode(real));
        if (withEntries) {
            try (Stream<Path> entries = Files.list(real)) {
                for (Path entry : (Iterable<Path>) entries::iterator) {
                    requireFixedLinks(runner, what, directory, entry, self);
                    Path target = entry.toRealPath();
                    require(runner, what, directory, target, self, mode(target));
                    if (Files.isDirectory(target) && !target.startsWith(real)) {
                        check(runner, what, target, false); // a link out of the directory: where it leads must be as safe
                    } else { // where a link leads, in the directory or out: else its directories' writers replace it
                        requireAbove(runner, what, directory, target, real, self); // (none between for the rest)
                    }
                }
            }
        }
    }

    /**
     * Refuses each directory above {@code real} (no links in it) that another user could write, up to the root or, if
     * {@code checked} (already judged with what is above it) is above it, up to {@code checked}. A sticky one may be
     * others' to write, not to own: its owner may rename or delete anything in it, and chmod it.
     */
    private static void requireAbove(String runner, String what, Path directory, Path real, Path checked, int self)
            throws IOException {
        for (Path above = real.getParent(); above != null && !above.equals(checked); above = above.getParent()) {
            int mode = mode(above);
            require(runner, what, directory, above, self, (mode & STICKY) == 0 ? mode : mode & ~GROUP_OR_OTHER_WRITE);
        }
    }

    /**
     * Refuses {@code named} if a link on the way to it, each as the kernel meets it (the name, or a directory of its
     * path), could be repointed by a user other than root and {@code runner}'s: its owner, or whoever may write a
     * directory above it. The path is used as named after this check: such a user would choose where it leads then.
     */
    private static void requireFixedLinks(String runner, String what, Path directory, Path named, int self)
            throws IOException {
        Path at = named.toAbsolutePath().getRoot();
        Deque<Path> rest = new ArrayDeque<>();
        named.toAbsolutePath().forEach(rest::addLast);
        for (int links = 0; !rest.isEmpty(); ) {
            String name = rest.removeFirst().toString();
            if (name.equals(".")) {
                continue;
            }
            if (name.equals("..")) {
                at = at.getParent() == null ? at : at.getParent(); // `at` has no links: its parent is the real one
                continue;
            }
            Path next = at.resolve(name);
            if (!Files.isSymbolicLink(next)) {
                at = next;
                continue;
            }
            if (++links > MAX_LINKS) {
                throw new IOException(named + ": too many levels of symbolic links");
            }
            String why = whoMayRepoint(runner, next, self);
            if (why != null) {
                throw new IOException("the " + what + " " + directory + " cannot be trusted: it is named through the"
                        + " link " + next + ", " + why + ", who could repoint it after this check at a directory of"
                        + " their own and have " + runner + " use that; name the directory it leads to, not the link");
            }
            Path target = Files.readSymbolicLink(next);
            Deque<Path> names = new ArrayDeque<>();
            target.forEach(names::push); // its last name first, so that its first ends first in the rest
            names.forEach(rest::addFirst);
            at = target.isAbsolute() ? target.getRoot() : at;
        }
    }

    /** Who other than root and {@code runner}'s user may replace {@code link} (no links above it); null: none. */
    private static String whoMayRepoint(String runner, Path link, int self) throws IOException {
        int owner = (Integer) Files.getAttribute(link, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (owner != 0 && owner != self) {
            return "which belongs to user " + owner + ", neither root nor " + runner + "'s user";
        }
        for (Path dir = link.getParent(); dir != null; dir = dir.getParent()) {
            int mode = mode(dir);
            int dirOwner = uid(dir);
            if (dirOwner != 0 && dirOwner != self) {
                return "and " + dir + " belongs to user " + dirOwner + ", neither root nor " + runner + "'s user";
            }
            if ((mode & GROUP_OR_OTHER_WRITE) != 0 && (mode & STICKY) == 0) { // sticky: none replaces others' links
                return "and " + dir + " may be written by its group or others (mode "
                        + Integer.toOctalString(mode & 07777) + ")";
            }
        }
        return null;
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
