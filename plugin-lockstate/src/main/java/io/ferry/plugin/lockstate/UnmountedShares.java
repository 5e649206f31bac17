package io.ferry.plugin.lockstate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
 * not mounted (mounted late by a script, a failed mount, ferryd started outside its unit): a lease directory that is
 * the mount point, or under it, is there all the same, and leases taken in it would be this host's alone.
 */
final class UnmountedShares {
    /** This host's: its fstab, and the mounts of ferryd's mount namespace. */
    static final UnmountedShares SYSTEM = new UnmountedShares(Path.of("/etc/fstab"), Path.of("/proc/self/mountinfo"));
    private static final Logger LOG = LoggerFactory.getLogger(UnmountedShares.class);
    private static final Path ROOT = Path.of("/");

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
     * The mount point of fstab that {@code directory} (as named, or where its links lead) is on and that is not
     * mounted, nor anything between it and the directory; empty when there is none. The root is always mounted. No
     * fstab (a container's) has none; mounts that cannot be read are no check at all: warned, and empty, as before
     * there was one.
     */
    Optional<Path> under(Path directory) {
        List<Path> entries = fstabMountPoints();
        List<Path> named = new ArrayList<>(List.of(directory.toAbsolutePath().normalize()));
        try {
            named.add(directory.toRealPath());
        } catch (IOException e) {
            // not there (yet): as named
        }
        Set<Path> mounted = null;
        for (Path path : named) {
            Optional<Path> entry = entries.stream().filter(path::startsWith)
                    .max(Comparator.comparingInt(Path::getNameCount));
            if (entry.isEmpty() || entry.get().equals(ROOT)) {
                continue;
            }
            if (mounted == null) {
                try {
                    mounted = mountPoints();
                } catch (IOException e) {
                    LOG.warn("the mounts cannot be read from {} ({}): lease directory {} is taken without checking that"
                            + " its share, {} in {}, is mounted", mountinfo, e, directory, entry.get(), fstab);
                    return Optional.empty();
                }
            }
            // a file system mounted on the entry's mount point, or deeper on the way to the directory, holds it
            if (mounted.stream().noneMatch(m -> path.startsWith(m) && m.startsWith(entry.get()))) {
                return entry;
            }
        }
        return Optional.empty();
    }

    /** The mount points of fstab's entries, but swap; none when there is no fstab, or it cannot be read. */
    private List<Path> fstabMountPoints() {
        List<String> lines;
        try {
            lines = Files.readAllLines(fstab, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            LOG.warn("{} cannot be read ({}): no share of it is checked to be mounted", fstab, e);
            return List.of();
        }
        List<Path> mountPoints = new ArrayList<>();
        for (String line : lines) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length < 2 || fields[0].startsWith("#") || fields.length > 2 && fields[2].equals("swap")) {
                continue;
            }
            String mountPoint = unescape(fields[1]);
            if (mountPoint.startsWith("/")) { // not none, nor swap
                mountPoints.add(Path.of(mountPoint).normalize());
            }
        }
        return mountPoints;
    }

    /** The mount points of mountinfo, its fifth field. */
    private Set<Path> mountPoints() throws IOException {
        Set<Path> mountPoints = new LinkedHashSet<>();
        for (String line : Files.readAllLines(mountinfo, StandardCharsets.UTF_8)) {
            String[] fields = line.split(" ");
            if (fields.length > 4) {
                mountPoints.add(Path.of(unescape(fields[4])).normalize());
            }
        }
        return mountPoints;
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
