package io.ferry.core.control;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.GuestState;
import io.ferry.api.hypervisor.MigrationControl;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;

/** A VM whose hypervisor's word on its run state the test sets. */
final class GuestVm implements VirtualMachine, GuestState {
    volatile DomainSpec spec;
    volatile GuestState.Observed now = new GuestState.Observed(true, null);
    /** How long the last caller would wait for the hypervisor's word. */
    volatile long asked;
    /** Whether it has a memory digest (QEMU's VMs have none). */
    volatile boolean digests = true;
    /** Whether its memory is released: destroyed, while the daemon's stop of it goes on (as the sim's VM says then). */
    volatile boolean released;

    @Override
    public Optional<Observed> observe(long timeoutMillis) {
        asked = timeoutMillis;
        return Optional.ofNullable(now);
    }

    @Override
    public DomainSpec spec() {
        return spec;
    }

    @Override
    public boolean isRunning() {
        return now != null && now.running();
    }

    @Override
    public void pause() {
        now = new GuestState.Observed(false, null);
    }

    @Override
    public void resume() {
        now = new GuestState.Observed(true, null);
    }

    @Override
    public void destroy() {
    }

    @Override
    public String memoryDigest() {
        if (!digests) {
            throw new UnsupportedOperationException("no memory digest");
        }
        if (released) {
            throw new IllegalStateException("guest memory is released");
        }
        return "0";
    }

    @Override
    public boolean hasMemoryDigest() {
        return digests;
    }

    @Override
    public MigrationStats sendMemory(OutputStream out, MigrationControl control) {
        throw new UnsupportedOperationException();
    }

    @Override
    public MigrationStats receiveMemory(InputStream in, MigrationControl control) {
        throw new UnsupportedOperationException();
    }
}
