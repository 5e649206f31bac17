package io.ferry.testkit;

import io.ferry.api.cookie.DomainLeases;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SideStream;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.VirtualMachine;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A section context whose every answer is set by the test (fluent setters, null for "none"), recording what the
 * section logs. Without a domain spec, the domain is {@link #DOMAIN_NAME} / {@link #DOMAIN_UUID}.
 */
public class TestSectionContext implements SectionContext {
    public static final String DOMAIN_NAME = "vm";
    public static final UUID DOMAIN_UUID = UUID.fromString("00000000-0000-4000-8000-0000000000aa");

    /** The lines logged with {@link #info}, in order. */
    public final List<String> info = new ArrayList<>();
    /** The lines logged with {@link #warn}, in order. */
    public final List<String> warn = new ArrayList<>();

    private Phase phase = Phase.BEGIN;
    private String migrationId = "test";
    private DomainSpec domain;
    private VirtualMachine vm;
    private DomainLeases leases;
    private SideStream sideStream;
    private Host localHost = new Host("here", UUID.fromString("00000000-0000-4000-8000-0000000000bb"));
    private Host remoteHost;

    public TestSectionContext phase(Phase value) {
        phase = value;
        return this;
    }

    public TestSectionContext migrationId(String value) {
        migrationId = value;
        return this;
    }

    public TestSectionContext domain(DomainSpec value) {
        domain = value;
        return this;
    }

    public TestSectionContext vm(VirtualMachine value) {
        vm = value;
        return this;
    }

    public TestSectionContext leases(DomainLeases value) {
        leases = value;
        return this;
    }

    public TestSectionContext sideStream(SideStream value) {
        sideStream = value;
        return this;
    }

    public TestSectionContext localHost(Host value) {
        localHost = value;
        return this;
    }

    public TestSectionContext remoteHost(Host value) {
        remoteHost = value;
        return this;
    }

    @Override
    public Phase phase() {
        return phase;
    }

    @Override
    public String migrationId() {
        return migrationId;
    }

    @Override
    public String domainName() {
        return domain == null ? DOMAIN_NAME : domain.name();
    }

    @Override
    public UUID domainUuid() {
        return domain == null ? DOMAIN_UUID : domain.uuid();
    }

    @Override
    public Optional<DomainSpec> domain() {
        return Optional.ofNullable(domain);
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
        return Optional.ofNullable(sideStream);
    }

    @Override
    public Host localHost() {
        return localHost;
    }

    @Override
    public Optional<Host> remoteHost() {
        return Optional.ofNullable(remoteHost);
    }

    @Override
    public void info(String message) {
        info.add(message);
    }

    @Override
    public void warn(String message) {
        warn.add(message);
    }
}
