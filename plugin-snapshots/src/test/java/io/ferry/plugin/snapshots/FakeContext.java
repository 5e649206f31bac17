package io.ferry.plugin.snapshots;

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
import java.util.Optional;
import java.util.UUID;

/** A migration's context as the core gives it, with a side stream kept in memory (or replaced by test bytes). */
final class FakeContext implements SectionContext {
    static final UUID DOMAIN = UUID.fromString("00000000-0000-4000-8000-0000000000aa");

    SideStream.Writer offered;
    byte[] bytes;

    byte[] streamBytes() throws IOException {
        if (bytes == null) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            offered.writeTo(out);
            bytes = out.toByteArray();
        }
        return bytes;
    }

    @Override
    public Optional<SideStream> sideStream() {
        return Optional.of(new SideStream() {
            @Override
            public void offer(Writer writer) {
                offered = writer;
            }

            @Override
            public InputStream open() throws IOException {
                return new ByteArrayInputStream(streamBytes());
            }
        });
    }

    @Override
    public Phase phase() {
        return Phase.BEGIN;
    }

    @Override
    public String migrationId() {
        return "m1";
    }

    @Override
    public String domainName() {
        return "vm1";
    }

    @Override
    public UUID domainUuid() {
        return DOMAIN;
    }

    @Override
    public Optional<DomainSpec> domain() {
        return Optional.empty();
    }

    @Override
    public Optional<VirtualMachine> vm() {
        return Optional.empty();
    }

    @Override
    public Optional<DomainLeases> leases() {
        return Optional.empty();
    }

    @Override
    public Host localHost() {
        return new Host("here", DOMAIN);
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
