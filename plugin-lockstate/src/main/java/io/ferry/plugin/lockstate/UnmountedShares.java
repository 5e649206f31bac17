package io.ferry.plugin.lockstate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mount points of /etc/fstab that are not mounted. A share's mount point is a local directory while the share is
 * not mounted (a failed mount, ferryd started outside its unit): a lease directory that is the mount point, or under
 * it, is there all the same, and leases taken in it would be this host's alone. fstab's entries alone: not a systemd
 * .mount unit, an autofs map, nor a bind mount whose source is not mounted.
 */
final class UnmountedShares {
    /** This host's: its fstab, and the mounts of ferryd's mount namespace. */
    static final UnmountedShares SYSTEM = new UnmountedShares(Path.of("/etc/fstab"), Path.of("/proc/self/mountinfo"));
    private static final Logger LOG = LoggerFactory.getLogger(UnmountedShares.class);
    private static final Path ROOT = Path.of("/");
    /** The links the kernel follows on one path before it gives up (MAXSYMLINKS). */
    private static final int MAX_LINKS = 40;

    private final Path fstab;
    private final Path mountinfo;

    UnmountedShares(Path fstab, Path mountinfo) {
        this.fstab = fstab;
        this.mountinfo = mountinfo;
    }

    /** The fstab this host mounts its file systems by, for a refusal to name. */
    Path fstab() {
        return fstab;
    }

    /**
     * The mount point of fstab (as it names it) that {@code directory} (as named, or where its links lead) is on and
     * that is not mounted, nor anything between it and the directory; empty when there is none. mountinfo names mount
     * points by where their links lead, the mount point's own too (mount(8) follows it): fstab's are compared so. The
     * root is always mounted. No fstab (a container's) has none; mounts that cannot be read are no check at all:
     * warned, and empty, as before there was one.
     */
    Optional<Path> under(Path directory) {
        Set<Path> mounted = null;
        IOException unreadable = null;
        try {
            mounted = mountPoints();
        } catch (IOException e) { // no check: warned if the directory is on a share
            unreadable = e;
        }
        List<MountPoint> entries = fstabMountPoints(mounted);
        Path normal = directory.toAbsolutePath().normalize();
        for (Path path : new LinkedHashSet<>(List.of(normal, realPath(normal)))) {
            Optional<MountPoint> entry = entries.stream().filter(e -> e.onWay(path) != null)
                    .max(Comparator.comparingInt(e -> e.onWay(path).getNameCount()));
            if (entry.isEmpty() || entry.get().real().equals(ROOT)) {
                continue;
            }
            if (mounted == null) {
                LOG.warn("the mounts cannot be read from {} ({}): lease directory {} is taken without checking that"
                        + " its share, {} in {}, is mounted", mountinfo, unreadable, directory, entry.get().named(),
                        fstab);
                return Optional.empty();
            }
            // mountinfo has real paths: a file system mounted on the entry's, or deeper on the way, holds the directory
            Path real = entry.get().real();
            Path there = real.resolve(entry.get().onWay(path).relativize(path));
            if (mounted.stream().noneMatch(m -> there.startsWith(m) && m.startsWith(real))) {
                return Optional.of(entry.get().named());
            }
        }
        return Optional.empty();
    }

    /** An fstab mount point as written, and where its links lead (mountinfo names it so). */
    private record MountPoint(Path named, Path real) {
        /** The form of this mount point {@code path} is on or under, the deeper; null when neither. */
        Path onWay(Path path) {
            Path deeper = real.getNameCount() > named.getNameCount() ? real : named;
            Path other = deeper == real ? named : real;
            return path.startsWith(deeper) ? deeper : path.startsWith(other) ? other : null;
        }
    }

    /**
     * The mount points of fstab's entries, but swap; none when there is no fstab, or it cannot be read.
     * {@code mounted}: mountinfo's, null when it cannot be read.
     */
    private List<MountPoint> fstabMountPoints(Set<Path> mounted) {
        List<String> lines;
        try {
            lines = lines(fstab);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            LOG.warn("{} cannot be read ({}): no share of it is checked to be mounted", fstab, e);
            return List.of();
        }
        List<MountPoint> mountPoints = new ArrayList<>();
        for (String line : lines) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length < 2 || fields[0].startsWith("#") || fields.length > 2 && fields[2].equals("swap")) {
                continue;
            }
            String mountPoint = unescape(fields[1]);
            if (mountPoint.startsWith("/")) { // not none, nor swap
                try {
                    Path named = Path.of(mountPoint).normalize();
                    mountPoints.add(new MountPoint(named, realMountPoint(named, mounted)));
                } catch (InvalidPathException e) { // a NUL, a name the JVM's path encoding cannot hold: above no
                    continue; // lease directory the JVM can name
                }
            }
        }
        return mountPoints;
    }

    /** The mount points of mountinfo, its fifth field: real paths, the kernel's. */
    private Set<Path> mountPoints() throws IOException {
        Set<Path> mountPoints = new LinkedHashSet<>();
        for (String line : lines(mountinfo)) {
            String[] fields = line.split(" ");
            if (fields.length > 4) {
                try {
                    mountPoints.add(Path.of(unescape(fields[4])).normalize());
                } catch (InvalidPathException e) { // as in fstab: above no lease directory the JVM can name
                    continue;
                }
            }
        }
        return mountPoints;
    }

    /**
     * Where mount(8) mounts {@code named}: its parent's links resolved, then its own name's, a chain of them too, but
     * only while nothing is mounted there ({@code mounted} null: not known). A look at a mount point asks the file
     * system mounted on it, and a hard NFS mount whose server is down (any of fstab's, used here or not) would hang
     * every lease change; where nothing is, it asks the parent's.
     */
    private static Path realMountPoint(Path named, Set<Path> mounted) {
        Path real = named;
        for (int links = 0; real.getParent() != null; links++) {
            real = realPath(real.getParent()).resolve(real.getFileName()).normalize(); // a link to .. too
            // past MAX_LINKS (a loop), mount(8) fails: no mount point, whichever is taken
            if (mounted == null || mounted.contains(real) || links == MAX_LINKS || !Files.isSymbolicLink(real)) {
                return real;
            }
            try {
                real = real.getParent().resolve(Files.readSymbolicLink(real));
            } catch (IOException e) { // gone since: as it was
                return real;
            }
        }
        return real;
    }

    /** Leniently: a byte that is not UTF-8 (a USB stick's Latin-1 label) spoils its line alone, not the check. */
    private static List<String> lines(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8).lines().toList();
    }

    /**
     * {@code path} (absolute; normal, or with a link's ..) with the links on its way resolved, as far as it is there
     * (one not made yet, below it). A copy of the launcher's DaemonOptions.realPath, which a plug-in may not import.
     */
    private static Path realPath(Path path) {
        for (Path there = path; there != null; there = there.getParent()) {
            try {
                return there.toRealPath().resolve(there.relativize(path));
            } catch (IOException e) {
                // not there (yet), or not to be read: where the links above it lead
            }
        }
        return path;
    }

    /** Undoes the octal escapes both files write a space, a tab, a line break and a backslash with ({@code \040}). */
    private static String unescape(String field) {
        StringBuilder text = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length() && octal(field, i + 1)) {
                text.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                text.append(c);
            }
        }
        return text.toString();
    }

    private static boolean octal(String field, int from) {
        for (int i = from; i < from + 3; i++) {
            if (field.charAt(i) < '0' || field.charAt(i) > '7') {
                return false;
            }
        }
        return true;
    }
}
