package io.ferry.itest;

import io.ferry.api.cookie.DomainLeases;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SideStream;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.VirtualMachine;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The context the test hands to sections running in the framework, as the core would: a real VM, real leases,
 * a side stream kept in memory. Records what the sections log.
 */
final class ProbeContext implements SectionContext {
    final List<String> warnings = new ArrayList<>();
    private final Phase phase;
    private final DomainSpec domain;
    private final VirtualMachine vm;
    private final DomainLeases leases;
    private final InMemoryStream stream;

    ProbeContext(Phase phase, DomainSpec domain, VirtualMachine vm, DomainLeases leases, InMemoryStream stream) {
        this.phase = phase;
        this.domain = domain;
        this.vm = vm;
        this.leases = leases;
        this.stream = stream;
    }

    /** A side stream whose writer is run when it is opened, as the two daemons would do it over HTTP. */
    static final class InMemoryStream implements SideStream {
        private Writer writer;

        @Override
        public void offer(Writer offered) {
            this.writer = offered;
        }

        @Override
        public InputStream open() throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            writer.writeTo(bytes);
            return new ByteArrayInputStream(bytes.toByteArray());
        }
    }

    @Override
    public Phase phase() {
        return phase;
    }

    @Override
    public String migrationId() {
        return "itest-" + phase.cliName();
    }

    @Override
    public String domainName() {
        return domain.name();
    }

    @Override
    public UUID domainUuid() {
        return domain.uuid();
    }

    @Override
    public Optional<DomainSpec> domain() {
        return Optional.of(domain);
    }

    @Override
    public Optional<VirtualMachine> vm() {
        return Optional.ofNullable(vm);
    }

    @Override
    public Optional<DomainLeases> leases() {
        return Optional.ofNullable(leases);
    }

    @Override
    public Optional<SideStream> sideStream() {
        return Optional.ofNullable(stream);
    }

    @Override
    public Host localHost() {
        return new Host("itest-host", UUID.fromString(FerryTestSupport.HOST_UUID));
    }

    @Override
    public Optional<Host> remoteHost() {
        return Optional.of(new Host("itest-peer", UUID.randomUUID()));
    }

    @Override
    public void info(String message) {
    }

    @Override
    public void warn(String message) {
        warnings.add(message);
    }
}
