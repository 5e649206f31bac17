package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.DiskStorage;
import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Which of a guest's disks another host may not see as this one does, the way libvirt's qemuMigrationSrcIsSafe asks
 * virFileIsSharedFS: a writable file disk migrates live without being copied only from a file system that every host
 * mounts alike (NFS, SMB/CIFS, Ceph, GFS2, OCFS2, GPFS, AFS, ACFS, BeeGFS, GlusterFS and Quobyte over FUSE), or from
 * under a directory the operator names as shared ({@code sharedPaths}: storage whose type says nothing, such as a
 * cluster's block device with a local file system that only one host mounts at a time), judged where the disk's path
 * leads through its links (a {@code ..} after a link goes up from where the link leads, as the kernel walks it).
 * Read-only disks are never written, so they are skipped. A disk file that does not exist (yet, or any more) is judged
 * by the nearest directory above it that does, as libvirt does; a {@code ..} past that cannot be told.
 */
final class SharedStorage {
    /**
     * The file system types, as the kernel names them in {@code /proc/mounts} (Java's {@code FileStore.type()}), that
     * libvirt's virFileIsSharedFS counts as shared (it compares statfs magic numbers, and a FUSE mount's type).
     */
    static final Set<String> SHARED_TYPES = Set.of(
            "nfs", "nfs4", // NFS_SUPER_MAGIC
            "gfs2", // GFS2_MAGIC
            "ocfs2", // OCFS2_SUPER_MAGIC
            "afs", // AFS_FS_MAGIC (kAFS; OpenAFS mounts as afs too)
            "smbfs", // SMB_SUPER_MAGIC
            "cifs", "smb3", // CIFS_SUPER_MAGIC: smb3 is the cifs module under another name
            "ceph", // CEPH_SUPER_MAGIC (the kernel client; ceph-fuse is FUSE and not counted, as in libvirt)
            "gpfs", // GPFS_SUPER_MAGIC (IBM Spectrum Scale)
            "acfs", // Oracle ASM Cluster File System
            "beegfs", "fhgfs", // BeeGFS, formerly FhGFS
            "fuse.glusterfs", // gluster's FUSE client
            "fuse.quobyte"); // Quobyte's FUSE client

    /** The type of the file system a path is on; {@code Files.getFileStore(path).type()} outside tests. */
    @FunctionalInterface
    interface FileSystemType {
        FileSystemType OF_THIS_HOST = path -> Files.getFileStore(path).type();

        /** @param existing a path that exists */
        String of(Path existing) throws IOException;
    }

    private final List<Path> sharedPaths;
    private final FileSystemType types;

    /**
     * @param sharedPaths absolute directories whose contents count as shared whatever their file system's type
     */
    SharedStorage(List<Path> sharedPaths, FileSystemType types) {
        this.sharedPaths = List.copyOf(sharedPaths);
        this.types = types;
    }

    /** The writable disks of {@code disks} on storage not known to be shared, in their order. */
    List<DiskStorage.Unshared> unshared(List<QemuDomain.Disk> disks) throws HypervisorException {
        List<DiskStorage.Unshared> unshared = new ArrayList<>();
        for (QemuDomain.Disk disk : disks) {
            if (disk.readOnly()) {
                continue;
            }
            String type = unsharedType(disk.file());
            if (type != null) {
                unshared.add(new DiskStorage.Unshared(disk.file(), type));
            }
        }
        return unshared;
    }

    /** The file system type of a disk not known to be shared; null when it is. */
    private String unsharedType(String file) throws HypervisorException {
        Path path;
        try {
            path = Path.of(file);
        } catch (InvalidPathException e) {
            throw cannotTell(file, "not a path: " + e.getReason(), null);
        }
        if (!path.isAbsolute()) {
            throw cannotTell(file, "its path is relative", null);
        }
        // the path as written, not normalized: the kernel goes up ('..') from where a link leads, not from the link
        Path existing = path;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw cannotTell(file, "nothing of its path exists", null);
        }
        Path rest = existing.getNameCount() == path.getNameCount() ? Path.of("")
                : path.subpath(existing.getNameCount(), path.getNameCount());
        for (Path name : rest) {
            if (name.toString().equals("..")) {
                throw cannotTell(file, "it goes up ('..') past " + existing.resolve(rest.getName(0))
                        + ", which does not exist", null);
            }
        }
        try {
            // through symbolic links, as the destination's QEMU would open it: a link under a shared path may lead to
            // a file of this host's own, which the destination's QEMU would take for one of its host's
            Path realExisting = existing.toRealPath();
            if (underSharedPath(realExisting.resolve(rest).normalize())) {
                return null;
            }
            String type = types.of(realExisting);
            return SHARED_TYPES.contains(type) ? null : type;
        } catch (IOException | RuntimeException e) {
            throw cannotTell(file, e.toString(), e);
        }
    }

    /**
     * The type of the file system of {@code real}, a path whose links are all resolved, if it is not shared storage;
     * null if it is. Only where the path leads counts here: a link under a shared path may lead anywhere.
     */
    String unsharedTypeOf(Path real) throws IOException {
        if (underSharedPath(real)) { // a path without links starts with a shared path only as that path's real one
            return null;
        }
        String type = types.of(real);
        return SHARED_TYPES.contains(type) ? null : type;
    }

    private boolean underSharedPath(Path path) {
        for (Path shared : sharedPaths) {
            if (path.startsWith(shared)) {
                return true;
            }
            try {
                if (Files.exists(shared) && path.startsWith(shared.toRealPath())) {
                    return true;
                }
            } catch (IOException e) {
                // a shared path that cannot be resolved names nothing but itself
            }
        }
        return false;
    }

    private static HypervisorException cannotTell(String file, String why, Throwable cause) {
        return new HypervisorException("cannot tell whether disk " + file + " is on shared storage: " + why, cause);
    }
}
