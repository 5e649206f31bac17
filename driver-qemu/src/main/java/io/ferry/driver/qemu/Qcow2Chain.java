package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The files a qcow2 disk's image has QEMU open beside it ({@link Qcow2References}), each held to a rule of the
 * caller's: its data file as the image (written unless the disk is read only), its backing file as a file read, and
 * the backing file's own, down the chain; a data file named by a relative path is refused (QEMU opens it from its
 * working directory, not beside the image). Their names are in the image's bytes, which whoever writes the image chose:
 * a host that writes the shared storage it is on ({@link PeerFiles}), or the image's own QEMU once its guest took it
 * over ({@link QemuUser#checkCanOpenReferences}). A backing file whose format the image does not record is refused
 * (QEMU would guess it, and a guessed format may name files of its own), as is one of another format than raw or
 * qcow2, and any name QEMU would read as a protocol.
 */
final class Qcow2Chain {
    /** How far down a qcow2 image's backing chain an image may reach (QEMU's own limit is far deeper). */
    private static final int MAX_BACKING_DEPTH = 16;

    /** The rule for one file of the chain: refuses it, naming it as {@code named}, or returns where it leads. */
    interface FileRule {
        Path require(String named, String file, boolean written) throws HypervisorException;
    }

    private final FileRule rule;
    private final String whose;

    /** @param whose the images, as refusals name them ("a peer's image") */
    Qcow2Chain(FileRule rule, String whose) {
        this.rule = rule;
        this.whose = whose;
    }

    /** A disk, as messages name it. */
    static String named(QemuDomain.Disk disk) {
        return "disk " + disk.target() + "'s source '" + UntrustedText.of(disk.file()) + "'";
    }

    /**
     * Refuses the files the qcow2 image {@code file} names, down its chain.
     *
     * @param named the image, as messages name it
     * @param file the image's name as QEMU opens it: relative names in it are relative to that name
     * @param real where {@code file} leads
     */
    void require(String named, String file, Path real, boolean written) throws HypervisorException {
        require(named, file, real, written, 0);
    }

    private void require(String named, String file, Path real, boolean written, int depth) throws HypervisorException {
        Qcow2References references = Qcow2References.of(real, named);
        if (references.dataFile() != null) {
            String data = dataFile(named, references.dataFile());
            rule.require("data file '" + UntrustedText.of(data) + "' of " + named, data, written);
        }
        if (references.backingFile() == null) {
            return;
        }
        String backing = resolved(named, file, references.backingFile());
        String backingNamed = "backing file '" + UntrustedText.of(backing) + "' of " + named;
        if (depth == MAX_BACKING_DEPTH) {
            throw new HypervisorException(backingNamed + " is more than " + MAX_BACKING_DEPTH
                    + " images down its chain");
        }
        Path backingReal = rule.require(backingNamed, backing, false);
        String format = references.backingFormat();
        if (format == null) {
            throw new HypervisorException(backingNamed + " has no format recorded in the image, which QEMU would guess"
                    + " (qemu-img rebase -u -F FORMAT records it)");
        }
        if (format.equals("qcow2")) {
            require(backingNamed, backing, backingReal, false, depth + 1);
        } else if (!format.equals("raw")) {
            throw new HypervisorException(backingNamed + " is of format '" + UntrustedText.of(format) + "': " + whose
                    + " may have a raw or qcow2 backing file only");
        }
    }

    /** A backing file's name in an image, as QEMU takes it: relative to the image's own name. */
    private String resolved(String named, String image, String name) throws HypervisorException {
        requireFile(named, name);
        Path parent = Path.of(image).getParent();
        return name.startsWith("/") || parent == null ? name : parent.resolve(name).toString();
    }

    /**
     * A data file's name in an image, which must be absolute: QEMU opens it as written, a relative one from its own
     * working directory (as root, before it drops to its user), not beside the image as a backing file.
     */
    private String dataFile(String named, String name) throws HypervisorException {
        requireFile(named, name);
        if (!name.startsWith("/")) {
            throw new HypervisorException("data file '" + UntrustedText.of(name) + "' of " + named + " is not an"
                    + " absolute path: QEMU opens an image's data file from its own working directory, not beside the"
                    + " image (qemu-img amend -o data_file=/ABSOLUTE/PATH IMAGE names it so)");
        }
        return name;
    }

    /** Refuses a name QEMU would read as a protocol: a colon before any slash. */
    private void requireFile(String named, String name) throws HypervisorException {
        int colon = name.indexOf(':');
        int slash = name.indexOf('/');
        if (colon >= 0 && (slash < 0 || colon < slash)) {
            throw new HypervisorException(named + " names '" + UntrustedText.of(name) + "', which QEMU would read as a"
                    + " protocol: " + whose + " may name files only");
        }
    }

    /** Where {@code file}, an absolute name, leads, as QEMU opens it (links followed); {@code named} names it. */
    static Path realPath(String named, String file) throws HypervisorException {
        try {
            Path path = Path.of(file);
            if (!path.isAbsolute()) {
                throw new HypervisorException(named + " is not an absolute path");
            }
            return path.toRealPath();
        } catch (InvalidPathException e) {
            throw new HypervisorException(named + " is not a path: " + e.getReason());
        } catch (NoSuchFileException e) {
            throw new HypervisorException(named + " does not exist on this host");
        } catch (IOException e) {
            throw new HypervisorException(named + " cannot be read: " + e, e);
        }
    }

    /** {@code named}, with where it leads when that is not {@code file}, as refusals name a file. */
    static String where(String named, String file, Path real) {
        return real.toString().equals(file) ? named : named + " (" + UntrustedText.of(real.toString()) + ")";
    }
}
