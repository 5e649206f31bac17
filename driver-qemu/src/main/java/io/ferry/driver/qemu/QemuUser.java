package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.List;

/**
 * The user QEMU runs as once started (the driver's {@code user} setting, libvirt's {@code qemu.conf} {@code user}):
 * QEMU opens what its command line names as the daemon's user, then drops to this one ({@code -run-with user=})
 * before the guest runs, so that a guest that takes QEMU over holds that user's rights, not root's.
 *
 * @param name the user's name
 * @param user the user
 * @param group its primary group, which may reach a VM's run directory
 */
record QemuUser(String name, UserPrincipal user, GroupPrincipal group) {
    /** The user named {@code name}, as this host knows it. */
    static QemuUser lookup(String name) throws HypervisorException {
        if (!name.matches("[a-z_][a-z0-9_.-]{0,31}")) {
            throw new HypervisorException("invalid QEMU user '" + UntrustedText.of(name) + "': not a user name");
        }
        UserPrincipalLookupService users = FileSystems.getDefault().getUserPrincipalLookupService();
        try {
            UserPrincipal user = users.lookupPrincipalByName(name);
            // the lookup service takes a number for a group it cannot find by name
            String gid = HostCommand.run(List.of("id", "-g", "--", name)).strip();
            return new QemuUser(name, user, users.lookupPrincipalByGroupName(gid));
        } catch (UserPrincipalNotFoundException | HypervisorException e) {
            throw new HypervisorException("the QEMU user '" + name + "' does not exist on this host", e);
        } catch (IOException e) {
            throw new HypervisorException("cannot look up the QEMU user '" + name + "': " + e.getMessage(), e);
        }
    }

    /**
     * Refuses a run directory this user could not reach: QEMU connects to its outgoing migration socket there after
     * it dropped to this user, so a directory on the way that denies it search fails every migration, not the boot.
     */
    void checkCanReach(Path runDir) throws HypervisorException {
        for (Path dir = runDir.toAbsolutePath().getParent(); dir != null; dir = dir.getParent()) {
            PosixFileAttributes attributes;
            try {
                attributes = Files.readAttributes(dir, PosixFileAttributes.class);
            } catch (IOException e) {
                throw new HypervisorException("cannot read the permissions of " + dir + ": " + e.getMessage(), e);
            }
            var permissions = attributes.permissions();
            boolean searchable = permissions.contains(PosixFilePermission.OTHERS_EXECUTE)
                    || attributes.group().equals(group) && permissions.contains(PosixFilePermission.GROUP_EXECUTE)
                    || attributes.owner().equals(user) && permissions.contains(PosixFilePermission.OWNER_EXECUTE);
            if (!searchable) {
                throw new HypervisorException("the QEMU user '" + name + "' cannot reach the run directory " + runDir
                        + ": " + dir + " denies it search (chmod o+x " + dir + ", or start ferryd with a --run-dir it can reach)");
            }
        }
    }

    /** Gives {@code path} to this user's group ({@code path} is not followed if it is a link). */
    void giveGroup(Path path) throws IOException {
        Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setGroup(group);
    }
}
