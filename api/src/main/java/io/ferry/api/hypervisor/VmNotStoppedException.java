package io.ferry.api.hypervisor;

/**
 * {@link VirtualMachine#destroy} could not stop the VM: its process outlived the hypervisor's last means (a QEMU in
 * uninterruptible sleep on hung storage or a stuck device survives SIGKILL, as libvirt's
 * {@code virProcessKillPainfully} fails with EBUSY). Such a process may still write the guest's disks when it wakes,
 * so the VM is not gone: the driver keeps what it holds (run files, ports), and the core keeps the domain active with
 * its disk leases, as libvirt's {@code virDomainDestroy} returns an error and leaves the domain as it was. A later
 * {@code destroy} tries again. A driver refuses {@link Hypervisor#boot} and {@link Hypervisor#createIncoming} with
 * it too, having started nothing, while a VM of the domain that it does not drive still runs (a QEMU that a daemon
 * killed in a start left): that VM may write the disks as well, so the core keeps what guards it (a refused start,
 * the domain's leases and its run directory; a refused arrival, its run directory), as libvirt's leases, held by the
 * QEMU process itself, stay held as long as it lives. The message names the domain and the process, and is shown to
 * the user as it is.
 *
 * @since 1.6
 */
public class VmNotStoppedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public VmNotStoppedException(String message) {
        super(message);
    }
}
