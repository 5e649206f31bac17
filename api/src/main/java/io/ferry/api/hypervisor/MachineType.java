package io.ferry.api.hypervisor;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The machine type a VM runs ({@code <os><type machine>}), as its hypervisor names it with no alias: QEMU's {@code pc}
 * is its newest {@code pc-i440fx-X.Y}, another one in another QEMU version. The core records it in the domain's live
 * definition, so that a destination starts the machine the guest runs whatever its hypervisor's aliases mean (libvirt
 * expands the alias at define). A driver offers it through {@link VirtualMachine#capability}.
 *
 * @since 1.10
 */
@ConsumerType
public interface MachineType {
    /** The machine type the VM runs, with no alias; null when the hypervisor did not say. */
    String machine();
}
