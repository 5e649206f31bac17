package io.ferry.core.section;

import io.ferry.api.hypervisor.DirectMigration;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.MigrationControl;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.api.hypervisor.VmProcess;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;

/**
 * The domain's VM as a cookie section sees it: what it is and offers, never a change of its run state or its memory.
 * The core pauses, resumes and stops the guest at the steps the migration needs and judges each step by what it did:
 * a section that resumed the source's guest after its leases were given back at the switch-over would have it run
 * without them, or beside its copy at the destination, and no rollback would notice.
 */
final class SectionVm implements VirtualMachine {
    private final VirtualMachine vm;
    private final String feature;

    SectionVm(VirtualMachine vm, String feature) {
        this.vm = vm;
        this.feature = feature;
    }

    @Override
    public DomainSpec spec() {
        return vm.spec();
    }

    @Override
    public boolean isRunning() {
        return vm.isRunning();
    }

    @Override
    public String memoryDigest() {
        return vm.memoryDigest();
    }

    @Override
    public boolean hasMemoryDigest() {
        return vm.hasMemoryDigest();
    }

    @Override
    public void pause() {
        throw refused("pause");
    }

    @Override
    public void resume() {
        throw refused("resume");
    }

    @Override
    public void destroy() {
        throw refused("destroy");
    }

    @Override
    public MigrationStats sendMemory(OutputStream out, MigrationControl control) {
        throw refused("send the memory of");
    }

    @Override
    public MigrationStats receiveMemory(InputStream in, MigrationControl control) {
        throw refused("receive the memory of");
    }

    /**
     * What the VM offers but this view itself, its memory's own connection ({@link DirectMigration}) and its process
     * ({@link VmProcess}: a section's {@code onExit} would replace the core's, and a VM that quits stay listed
     * running).
     */
    @Override
    public <T> Optional<T> capability(Class<T> type) {
        if (type == VirtualMachine.class) {
            return Optional.of(type.cast(this));
        }
        if (type == DirectMigration.class || type == VmProcess.class) {
            return Optional.empty();
        }
        return vm.capability(type);
    }

    private UnsupportedOperationException refused(String what) {
        return new UnsupportedOperationException("cookie section " + feature + " may not " + what + " the VM of domain '"
                + vm.spec().name() + "': the migration pauses, resumes and stops it, at the steps the migration needs");
    }
}
