package io.ferry.api.hypervisor;

import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A VM whose disks are files of its host: a capability, looked up with {@link VirtualMachine#capability}. A live
 * migration moves memory only, and the destination opens each disk at the same path; where that path is on storage
 * only this host has, the guest goes on there with another disk and its writes here are left behind. So the core
 * refuses a live migration at Begin while {@link #unsharedDisks} lists a disk, unless it is asked to migrate unsafely
 * ({@code ferry migrate --unsafe}), as libvirt's qemuMigrationSrcIsSafe refuses without VIR_MIGRATE_UNSAFE. A VM
 * without this capability (the embedded hypervisor's) has no disks of the host to check.
 *
 * @since 1.3
 */
@ConsumerType
public interface DiskStorage {
    /**
     * A writable disk on storage another host may not share.
     *
     * @param source the disk's source as the definition gives it (a path)
     * @param storage where it is, for the operator: the file system type, such as {@code ext4}
     */
    record Unshared(String source, String storage) {
    }

    /**
     * The VM's writable disks on storage that is not known to be shared with other hosts, in the definition's order;
     * empty when all of them are (read-only disks are never listed: nobody writes them).
     *
     * @throws HypervisorException when the storage of a disk cannot be told (the message names it)
     */
    List<Unshared> unsharedDisks() throws HypervisorException;
}
