package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
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
 * @param access what it may open itself
 */
record QemuUser(String name, UserPrincipal user, GroupPrincipal group, UserFileAccess access) {
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
            return new QemuUser(name, user, users.lookupPrincipalByGroupName(gid), UserFileAccess.of(name));
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
        Path parent = runDir.toAbsolutePath().getParent();
        Path dir;
        try {
            dir = parent == null ? null : access.denying(parent, UserFileAccess.SEARCH);
        } catch (IOException e) {
            throw new HypervisorException("cannot read the permissions of the directories of " + runDir + ": "
                    + e.getMessage(), e);
        }
        if (dir != null) {
            throw new HypervisorException("the QEMU user '" + name + "' cannot reach the run directory " + runDir
                    + ": " + dir + " denies it search (chmod o+x " + dir
                    + ", or start ferryd with a --run-dir it can reach)");
        }
    }

    /**
     * Refuses a qcow2 disk of {@code domain} whose image names a file, down its backing chain ({@link Qcow2Chain}),
     * that this user could not open itself as QEMU would: a backing file to read, a data file to read and write (read
     * only on a read-only disk). QEMU opens them as root before it drops to this user, as the image's header names
     * them, and a QEMU whose guest took it over holds its image open read-write: it may have rewritten that header to
     * name a host's disk, its keys or {@code /etc/passwd}, for its next start here or its arrival elsewhere. Opened as
     * root, such files now grant this user nothing it had not.
     */
    void checkCanOpenReferences(QemuDomain domain) throws HypervisorException {
        Qcow2Chain chain = new Qcow2Chain(this::requireCanOpen, "an image QEMU opens before it drops to its user");
        for (QemuDomain.Disk disk : domain.disks()) {
            if ("qcow2".equals(disk.format())) {
                String named = Qcow2Chain.named(disk);
                chain.require(named, disk.file(), Qcow2Chain.realPath(named, disk.file()), !disk.readOnly());
            }
        }
    }

    private Path requireCanOpen(String named, String file, boolean written) throws HypervisorException {
        Path real = Qcow2Chain.realPath(named, file);
        String where = Qcow2Chain.where(named, file, real);
        int wanted = written ? UserFileAccess.READ | UserFileAccess.WRITE : UserFileAccess.READ;
        String denied;
        try {
            Path denying = access.denying(real, wanted);
            denied = denying == null ? null : (denying.equals(real) ? "" : "the directory ") + denying + " is "
                    + UserFileAccess.modeOf(denying);
        } catch (IOException e) {
            throw new HypervisorException("cannot tell whether the QEMU user '" + name + "' may open " + where + ": "
                    + e, e);
        }
        if (denied != null) {
            throw new HypervisorException(where + " cannot be " + (written ? "read and written" : "read") + " by the"
                    + " QEMU user '" + name + "' itself (" + denied + "): QEMU opens the files an image's header names"
                    + " as root, before it drops to that user; give that user access to them, as libvirt's DAC"
                    + " labelling does");
        }
        return real;
    }

    /** Gives {@code path} to this user's group ({@code path} is not followed if it is a link). */
    void giveGroup(Path path) throws IOException {
        Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setGroup(group);
    }
}
