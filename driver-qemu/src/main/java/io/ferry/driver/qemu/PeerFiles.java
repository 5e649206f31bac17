package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Which files of this host a peer daemon's definition may have QEMU open ({@code Hypervisor.validatePeerDefinition}).
 * QEMU opens its disks, kernel and initrd as root, before it drops to its user, and the peer sends the memory of the
 * guest that reads them: a peer naming {@code /etc/shadow} as a read-only disk would have it read out. So a peer may
 * name, judged where its links lead (as QEMU opens it), a regular file:
 * <ul>
 * <li>on shared storage ({@link SharedStorage}: a shared file system, or under {@code sharedPaths}), which the peer's
 * host reaches anyway: a writable disk must be there;</li>
 * <li>or, read only (a read-only disk, the kernel, the initrd), one that every user of this host may read (readable by
 * others, in directories others may enter): no secret of this host.</li>
 * </ul>
 * A qcow2 image's header names more files QEMU opens (its backing chain, its data file), held to the same rules.
 * Whoever may write where such a file is could swap it for a link between this check and QEMU's open: on shared
 * storage, the hosts that share it (docs/qemu.md). The program itself, the definition's {@code <emulator>} (which the
 * core has already held to a QEMU binary's name), runs as root: it must be one only this host's root or ferryd's user
 * could have put there, owned by one of them in directories only they may write, on a file system that is not shared:
 * a peer host that writes a shared file system could put a program of its own named {@code qemu-system-x86_64} there.
 * QEMU is run by the name, not by where it leads: each link on the way (the name, a directory of its path) is held to
 * the same, else a peer host could repoint a link on shared storage at a program of its own once it is checked.
 */
final class PeerFiles {
    /** The links the kernel follows on one path before it gives up (Linux's MAXSYMLINKS). */
    private static final int MAX_LINKS = 40;

    private final SharedStorage storage;
    /** A qcow2 image's references, held to the same rules: its data file as the image, its backing files as read. */
    private final Qcow2Chain references = new Qcow2Chain(this::require, "a peer's image");

    PeerFiles(SharedStorage storage) {
        this.storage = storage;
    }

    /**
     * Refuses {@code domain} unless each file it names is one a peer may name.
     *
     * @param emulator the program the domain's {@code <emulator>} names, found as the driver runs it; null: none named
     */
    void check(QemuDomain domain, String emulator) throws HypervisorException {
        if (emulator != null) {
            requireOwnProgram(emulator);
        }
        for (QemuDomain.Disk disk : domain.disks()) {
            String named = Qcow2Chain.named(disk);
            Path real = require(named, disk.file(), !disk.readOnly());
            if ("qcow2".equals(disk.format())) {
                references.require(named, disk.file(), real, !disk.readOnly());
            }
        }
        if (domain.kernel() != null) {
            require("kernel '" + UntrustedText.of(domain.kernel()) + "'", domain.kernel(), false);
        }
        if (domain.initrd() != null) {
            require("initrd '" + UntrustedText.of(domain.initrd()) + "'", domain.initrd(), false);
        }
    }

    /** @param named the file, as messages name it; returns where the file leads */
    private Path require(String named, String file, boolean written) throws HypervisorException {
        Path real = Qcow2Chain.realPath(named, file);
        PosixFileAttributes attributes;
        try {
            attributes = Files.readAttributes(real, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new HypervisorException(named + " cannot be read: " + e, e);
        }
        String where = Qcow2Chain.where(named, file, real);
        if (!attributes.isRegularFile()) {
            throw new HypervisorException(where + " is not a regular file: a peer's definition names regular files only");
        }
        String type;
        try {
            type = storage.unsharedTypeOf(real);
        } catch (IOException e) {
            throw new HypervisorException("cannot tell whether " + where + " is on shared storage: " + e, e);
        }
        if (type == null) {
            return real;
        }
        if (written) {
            throw new HypervisorException(where + " is on a file system not known to be shared (" + type + "): a peer's"
                    + " definition may have this host write only files on shared storage (a shared file system, or under"
                    + " sharedPaths)");
        }
        if (!readableByEveryone(real, attributes)) {
            throw new HypervisorException(where + " is on a file system not known to be shared (" + type + ") and not"
                    + " readable by every user of this host: a peer's definition may have this host read only files on"
                    + " shared storage (a shared file system, or under sharedPaths) or readable by everyone");
        }
        return real;
    }

    private void requireOwnProgram(String file) throws HypervisorException {
        String named = "emulator '" + UntrustedText.of(file) + "'";
        Path real;
        try {
            real = Path.of(file).toRealPath();
        } catch (IOException | InvalidPathException e) {
            throw new HypervisorException("cannot find where " + named + " leads: " + e, e);
        }
        String where = real.toString().equals(file) ? named : named + " (" + UntrustedText.of(real.toString()) + ")";
        String whyNot;
        try {
            whyNot = storage.unsharedTypeOf(real) == null ? "it is on shared storage" : writableByOthers(real);
            if (whyNot == null) {
                whyNot = changeableLink(Path.of(file));
            }
        } catch (IOException e) {
            throw new HypervisorException("cannot tell who may write " + where + ": " + e, e);
        }
        if (whyNot != null) {
            throw new HypervisorException(where + " is not a program of this host's own (" + UntrustedText.of(whyNot)
                    + "): a peer's definition may have this host run only a program owned by root or ferryd's user, in"
                    + " directories only they may write, on a file system that is not shared, named through links"
                    + " likewise");
        }
    }

    /**
     * What lets others than root and ferryd's user change a link on the way from {@code named} to its program, the
     * file named or a directory of its path, each link as the kernel meets it; null: nothing. QEMU is run by the name:
     * whoever may repoint a link on it (a peer host, on shared storage) chooses the program after this check.
     */
    private String changeableLink(Path named) throws IOException {
        Path at = named.toAbsolutePath().getRoot();
        Deque<Path> rest = new ArrayDeque<>();
        named.toAbsolutePath().forEach(rest::addLast);
        for (int links = 0; !rest.isEmpty(); ) {
            Path name = rest.removeFirst();
            if (name.toString().equals(".")) {
                continue;
            }
            if (name.toString().equals("..")) {
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
            String why = storage.unsharedTypeOf(at) == null ? "that is on shared storage" : writableByOthers(next);
            if (why != null) {
                return "it is named through the link " + next + ", and " + why;
            }
            Path target = Files.readSymbolicLink(next);
            List<Path> names = new ArrayList<>();
            target.forEach(names::add);
            for (int i = names.size() - 1; i >= 0; i--) {
                rest.addFirst(names.get(i));
            }
            at = target.isAbsolute() ? target.getRoot() : at;
        }
        return null;
    }

    /**
     * What lets others than root and ferryd's user write {@code real} (a program, or a link: the directories above it
     * have no links) or a directory above it; null: nothing.
     */
    private static String writableByOthers(Path real) throws IOException {
        String self = System.getProperty("user.name");
        for (Path path = real; path != null; path = path.getParent()) {
            PosixFileAttributes attributes = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            String owner = attributes.owner().getName();
            if (!owner.equals("root") && !owner.equals(self)) {
                return path + " belongs to " + owner;
            }
            // a link's mode is always rwxrwxrwx and means nothing: its owner and directories say who may change it
            if (attributes.isSymbolicLink()) {
                continue;
            }
            boolean sticky = !path.equals(real) && sticky(path); // others may add there, not replace what the owner owns
            if (attributes.permissions().contains(PosixFilePermission.GROUP_WRITE) && !sticky) {
                return path + " is writable by its group";
            }
            if (attributes.permissions().contains(PosixFilePermission.OTHERS_WRITE) && !sticky) {
                return path + " is writable by others";
            }
        }
        return null;
    }

    private static boolean sticky(Path dir) throws IOException {
        return (((Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 01000) != 0;
    }

    /** Whether any user of this host may read {@code real}: readable by others, each directory above it searchable by them. */
    private static boolean readableByEveryone(Path real, PosixFileAttributes attributes) throws HypervisorException {
        if (!attributes.permissions().contains(PosixFilePermission.OTHERS_READ)) {
            return false;
        }
        try {
            for (Path dir = real.getParent(); dir != null; dir = dir.getParent()) {
                if (!Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    return false;
                }
            }
        } catch (IOException e) {
            throw new HypervisorException("cannot read the permissions of the directories above " + real + ": " + e, e);
        }
        return true;
    }
}
