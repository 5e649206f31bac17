package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.MigrationControl;
import io.ferry.api.hypervisor.MigrationStats;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A QEMU guest's memory leaving or arriving, for {@link QemuVirtualMachine}: through the core's streams (the source
 * QEMU into {@link OutgoingPump}, the destination's {@link IncomingMigration} fed from the stream), or QEMU to QEMU
 * (the destination QEMU listening on a port of its own, the source's {@link OutgoingMigration} sent to it).
 */
final class QemuMemory {
    private final QemuVirtualMachine vm;
    private final RunFiles files;
    private final QemuSettings settings;
    private IncomingMigration listening; // guarded by this

    QemuMemory(QemuVirtualMachine vm, RunFiles files, QemuSettings settings) {
        this.vm = vm;
        this.files = files;
        this.settings = settings;
    }

    /** Migrates into the core's stream {@code out}, through a pump that copies what QEMU sends to its socket. */
    MigrationStats send(OutputStream out, MigrationControl control) throws IOException, HypervisorException {
        try (OutgoingPump pump = new OutgoingPump(files.outgoing(), out, vm.spec().name())) {
            files.openOutgoingTo(settings.user());
            return new OutgoingMigration(vm, control, settings).run("unix:" + files.outgoing(), pump);
        }
    }

    /** Migrates to the destination QEMU's own port ({@code tcp:HOST:PORT}). */
    MigrationStats send(String dataUri, MigrationControl control) throws HypervisorException {
        if (!dataUri.matches("tcp:(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}")) {
            throw new HypervisorException("unsupported data URI '" + dataUri + "' for a QEMU migration: tcp:HOST:PORT");
        }
        return new OutgoingMigration(vm, control, settings).run(dataUri, null);
    }

    /** Feeds the incoming QEMU from the core's stream {@code in}. */
    MigrationStats receive(InputStream in, MigrationControl control) throws IOException, HypervisorException {
        return new IncomingMigration(vm, settings).receive(in, control);
    }

    /** Has the incoming QEMU listen on a port of its own; returns its URI. Once per VM. */
    synchronized String listen(String host) throws HypervisorException {
        if (listening != null) {
            throw new HypervisorException("domain '" + vm.spec().name() + "' already listens for its memory");
        }
        IncomingMigration incoming = new IncomingMigration(vm, settings);
        String uri = incoming.listen(host);
        listening = incoming;
        return uri;
    }

    /** Waits for the memory the incoming QEMU listens for ({@link #listen}) to have arrived. */
    MigrationStats await(MigrationControl control) throws HypervisorException {
        IncomingMigration incoming;
        synchronized (this) {
            incoming = listening;
        }
        if (incoming == null) {
            throw new HypervisorException("domain '" + vm.spec().name() + "' does not listen for its memory");
        }
        return incoming.await(control, 0);
    }
}
