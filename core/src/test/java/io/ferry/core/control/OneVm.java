package io.ferry.core.control;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.Hypervisor;
import io.ferry.api.hypervisor.VirtualMachine;
import java.nio.file.Path;
import java.util.Optional;

/** A hypervisor that boots its one VM, whatever the definition. */
record OneVm(GuestVm vm) implements Hypervisor {
    @Override
    public void validate(DomainSpec spec) {
    }

    @Override
    public VirtualMachine boot(DomainSpec spec, Path runDir) {
        vm.spec = spec;
        return vm;
    }

    @Override
    public VirtualMachine createIncoming(DomainSpec spec, Path runDir) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Optional<VirtualMachine> reattach(DomainSpec spec, Path runDir) {
        return Optional.empty();
    }
}
