package io.ferry.plugin.lockstate;

import io.ferry.api.cookie.DomainLeases;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SideStream;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.VirtualMachine;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** A section context with one disk and, optionally, leases. */
record FakeContext(Phase phase, Leases fakeLeases) implements SectionContext {
    static final UUID DOMAIN = UUID.fromString("1b4e28ba-2fa1-11d2-883f-0016d3cca427");

    static FakeContext at(Phase phase, Leases leases) {
        return new FakeContext(phase, leases);
    }

    /** Leases that record what the section hands them. */
    static final class Leases implements DomainLeases {
        final String manager;
        final String state;
        String acquiredWith;

        Leases(String manager, String state) {
            this.manager = manager;
            this.state = state;
        }

        @Override
        public String manager() {
            return manager;
        }

        @Override
        public String state() {
            return state;
        }

        @Override
        public void acquireWith(String leaseState) {
            acquiredWith = leaseState;
        }
    }

    @Override
    public String migrationId() {
        return "test";
    }

    @Override
    public String domainName() {
        return "vm";
    }

    @Override
    public UUID domainUuid() {
        return DOMAIN;
    }

    @Override
    public Optional<DomainSpec> domain() {
        return Optional.of(new DomainSpec("vm", DOMAIN, "sim", 1024, 1, List.of(new DomainSpec.Disk("/images/vm.img", "vda")),
                List.of(), List.of(), "<domain/>"));
    }

    @Override
    public Optional<VirtualMachine> vm() {
        return Optional.empty();
    }

    @Override
    public Optional<DomainLeases> leases() {
        return Optional.ofNullable(fakeLeases);
    }

    @Override
    public Optional<SideStream> sideStream() {
        return Optional.empty();
    }

    @Override
    public Host localHost() {
        return new Host("here", UUID.randomUUID());
    }

    @Override
    public Optional<Host> remoteHost() {
        return Optional.empty();
    }

    @Override
    public void info(String message) {
    }

    @Override
    public void warn(String message) {
    }
}
