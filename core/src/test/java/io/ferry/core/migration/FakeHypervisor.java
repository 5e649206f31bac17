package io.ferry.core.migration;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.Hypervisor;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.VmNotStoppedException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/** One host's driver for engine tests: its VMs outlive a daemon restart, as QEMU processes do. */
final class FakeHypervisor implements Hypervisor {
    static final String TYPE = "test";

    private final Map<UUID, FakeVm> vms = new ConcurrentHashMap<>();
    /** Incoming VMs fail to receive their memory with this (null: they receive it). */
    volatile java.io.IOException receiveFailure;
    /** VMs made from now on move their memory over a connection of their own and have no digest, as QEMU's. */
    volatile boolean direct;

    /** Incoming VMs fail to be made with this, as a QEMU that cannot start (null: they are made). */
    volatile HypervisorException createFailure;
    /**
     * While set, an incoming VM is refused with it as a {@link VmNotStoppedException}, as QEMU's driver refuses one
     * while a QEMU of the domain that it does not drive runs (left by a daemon killed in a start); nothing is made.
     */
    volatile String strayVm;

    /** Runs as a start boots a VM, before it is made: a boot held there holds the start's job (null: none). */
    volatile Runnable whileBooting;

    /** A peer's definition that names this is refused, as a driver refuses a host file a peer may not name (null: none). */
    volatile String peerMayNotName;

    @Override
    public void validate(DomainSpec spec) {
    }

    @Override
    public void validatePeerDefinition(DomainSpec spec) throws HypervisorException {
        String refused = peerMayNotName;
        if (refused != null && spec.xml().contains(refused)) {
            throw new HypervisorException("'" + refused + "' is no file a peer may name");
        }
    }

    @Override
    public FakeVm boot(DomainSpec spec, Path runDir) {
        Runnable booting = whileBooting;
        if (booting != null) {
            booting.run();
        }
        FakeVm vm = direct ? new FakeDirectVm(spec, true) : new FakeVm(spec, true);
        vms.put(spec.uuid(), vm);
        return vm;
    }

    @Override
    public FakeVm createIncoming(DomainSpec spec, Path runDir) throws HypervisorException {
        if (createFailure != null) {
            throw createFailure;
        }
        if (strayVm != null) {
            throw new VmNotStoppedException(strayVm);
        }
        FakeVm vm = direct ? new FakeDirectVm(spec, false) : new FakeVm(spec, false);
        vm.receiveFailure = receiveFailure;
        vms.put(spec.uuid(), vm);
        return vm;
    }

    @Override
    public Optional<io.ferry.api.hypervisor.VirtualMachine> reattach(DomainSpec spec, Path runDir) {
        FakeVm vm = vms.get(spec.uuid());
        return vm == null || vm.isDestroyed() ? Optional.empty() : Optional.of(vm);
    }

    /** The VM of a domain on this host, destroyed or not; null if it never had one. */
    FakeVm vm(UUID uuid) {
        return vms.get(uuid);
    }
}
