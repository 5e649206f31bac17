/**
 * The hypervisor SPI: a driver bundle registers a {@link io.ferry.api.hypervisor.Hypervisor} for one domain
 * type ({@code <domain type='sim'>}); the core keeps definitions, state and the migration protocol, the driver
 * runs the VMs and moves their memory over the streams the core gives it, or (1.1) over a connection of its own
 * ({@link io.ferry.api.hypervisor.DirectMigration}).
 * 1.2: what a VM offers beyond {@link io.ferry.api.hypervisor.VirtualMachine} is a capability, a type looked up with
 * {@link io.ferry.api.hypervisor.VirtualMachine#capability}; the graphics methods moved to
 * {@link io.ferry.api.hypervisor.GraphicsConsole} (the old ones are deprecated defaults).
 * 1.3: {@link io.ferry.api.hypervisor.VmProcess}, the capability of a VM whose process can end on its own, and
 * {@link io.ferry.api.hypervisor.DiskStorage}, the capability of a VM whose disks are files of its host: which of
 * them are on storage other hosts may not share (a live migration refuses those without --unsafe).
 * 1.4: {@link io.ferry.api.hypervisor.VmProcess#shutDown}, whether a process that ended had shut down or crashed.
 * 1.5: {@link io.ferry.api.hypervisor.Hypervisor#validatePeerDefinition}, what a peer daemon's definition may not
 * have this host open.
 * 1.6: {@link io.ferry.api.hypervisor.VmNotStoppedException}, how {@link io.ferry.api.hypervisor.VirtualMachine#destroy}
 * says that the VM's process outlived being killed and may still write its disks.
 * 1.7: {@link io.ferry.api.hypervisor.GuestState}, the guest's run state as its hypervisor has it, and whether the
 * hypervisor paused it by itself (an I/O error, a panic).
 * 1.8: {@link io.ferry.api.hypervisor.VmProcess#onExit} replaces the action an earlier call gave (the contract, not the
 * signature, changed): a core that re-attaches to a running VM must not leave the earlier cores' actions held.
 * 1.9: {@link io.ferry.api.hypervisor.DomainSpec.Disk#readOnly}, a disk the guest never writes, which holds no lease,
 * and {@link io.ferry.api.hypervisor.DomainSpec.Disk#format}, its {@code <driver type>}.
 * 1.10: {@link io.ferry.api.hypervisor.MachineType}, the machine type a VM runs with no alias, which the core records
 * in the live definition.
 */
@Version("1.10.0")
@Export
package io.ferry.api.hypervisor;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
