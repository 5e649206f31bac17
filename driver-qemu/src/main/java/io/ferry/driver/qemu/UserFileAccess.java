package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a user could open itself, as the kernel judges it by mode bits: a file's owner bits if the user owns it, else
 * its group bits if one of the user's groups owns it, else its others' bits (the first class that applies decides:
 * an owner without bits is denied what others may), and search on each directory on its way. QEMU opens what its
 * command line and its images' headers name as root before it drops to its user ({@link QemuUser}): a file that passes
 * grants that user nothing it could not take itself. POSIX ACLs are not read: a file only an ACL opens to the user is
 * refused, and an ACL that closes a file to the user alone is not seen.
 *
 * @param uid the user's id
 * @param groups the ids of its groups, its primary one among them: QEMU's {@code -run-with user=} keeps them all
 *        ({@code initgroups})
 */
record UserFileAccess(int uid, Set<Integer> groups) {
    static final int READ = 4;
    static final int WRITE = 2;
    static final int SEARCH = 1;

    /** The user named {@code name}, as {@code id} gives it. */
    static UserFileAccess of(String name) throws HypervisorException {
        int uid = Integer.parseInt(HostCommand.run(List.of("id", "-u", "--", name)).strip());
        Set<Integer> groups = Arrays.stream(HostCommand.run(List.of("id", "-G", "--", name)).strip().split("\\s+"))
                .map(Integer::valueOf).collect(Collectors.toUnmodifiableSet());
        return new UserFileAccess(uid, groups);
    }

    /**
     * Whether the bits of {@code mode} that apply to this user grant all of {@code wanted} ({@link #READ},
     * {@link #WRITE}, {@link #SEARCH}) on a file of {@code owner} and {@code group}; root is granted all, as the kernel
     * grants it.
     */
    boolean grants(int mode, int owner, int group, int wanted) {
        if (uid == 0) {
            return true;
        }
        int shift = owner == uid ? 6 : groups.contains(group) ? 3 : 0;
        return (mode >> shift & wanted) == wanted;
    }

    /**
     * What keeps this user from opening {@code path} with {@code wanted}: the first directory on its way, from the
     * root, that denies it search, else {@code path} itself if its bits deny it; null: nothing. Links on the way are
     * followed, so a caller judging where links lead passes the real path.
     */
    Path denying(Path path, int wanted) throws IOException {
        List<Path> directories = new ArrayList<>();
        for (Path dir = path.toAbsolutePath().getParent(); dir != null; dir = dir.getParent()) {
            directories.add(0, dir);
        }
        for (Path dir : directories) {
            if (!grants(dir, SEARCH)) {
                return dir;
            }
        }
        return grants(path, wanted) ? null : path;
    }

    private boolean grants(Path path, int wanted) throws IOException {
        Map<String, Object> bits = Files.readAttributes(path, "unix:mode,uid,gid");
        return grants((Integer) bits.get("mode"), (Integer) bits.get("uid"), (Integer) bits.get("gid"), wanted);
    }

    /** {@code path}'s mode bits and owners, as refusals give them: {@code mode 0600, owner 0, group 0}. */
    static String modeOf(Path path) throws IOException {
        Map<String, Object> bits = Files.readAttributes(path, "unix:mode,uid,gid");
        return String.format("mode %04o, owner %d, group %d", (Integer) bits.get("mode") & 07777, bits.get("uid"),
                bits.get("gid"));
    }
}
