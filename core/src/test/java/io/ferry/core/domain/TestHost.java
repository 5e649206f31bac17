package io.ferry.core.domain;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.Hypervisor;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.MachineType;
import io.ferry.api.hypervisor.MigrationControl;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.api.hypervisor.VmNotStoppedException;
import io.ferry.api.lock.Lease;
import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockManager;
import io.ferry.core.daemon.TestDaemons;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A host's {@link DomainManager} on a state directory, with a driver of type {@code sim} whose VMs are a file in
 * their run directory and a lock manager that records who holds leases. Both outlive {@link #restart}, as VMs and
 * leases outlive a daemon.
 */
final class TestHost {
    final Path stateDir;
    final Driver driver = new Driver();
    final Locks locks = new Locks();
    /** The lock manager each restart is given: {@link #locks} unless a test sets a real one. */
    volatile LockManager lockManager = locks;
    /** Whether each restart takes the host UUID the state directory keeps rather than the test's. */
    volatile boolean hostUuidOfTheStateDirectory;
    DomainManager manager;

    TestHost(Path stateDir) throws Exception {
        this.stateDir = stateDir;
        restart();
    }

    /** A new manager on the same state directory, as a restarted daemon's. */
    void restart() throws Exception {
        restartWithoutItsDriver();
        registerDriver();
    }

    /** {@link #restart}, its driver bundle not started yet: the domains are loaded, their VMs not re-attached. */
    void restartWithoutItsDriver() throws Exception {
        manager = new DomainManager(hostUuidOfTheStateDirectory ? TestDaemons.settingsOfTheStateDirectorysHost(stateDir)
                : TestDaemons.settings(stateDir));
        LockManager given = lockManager;
        manager.addLockManager("file", () -> given); // in the place of the configured (file) lock manager
    }

    void registerDriver() {
        manager.addHypervisor("sim", driver);
    }

    Path file(String first, String... more) {
        return stateDir.resolve(Path.of(first, more));
    }

    /** A driver whose VM is the file {@code vm} in its run directory. */
    static final class Driver implements Hypervisor {
        volatile String failBoot;
        final List<String> reattached = new CopyOnWriteArrayList<>();
        /** A re-attach that fails with this (a QEMU that did not answer in time), the VM still there; null: none. */
        volatile String failReattach;
        /** While set, a destroy fails and leaves the VM, as a QEMU in uninterruptible sleep outlives SIGKILL. */
        volatile boolean unkillable;
        /** The machine type its VMs say they run ({@link MachineType}); null: they do not say. */
        volatile String machine;
        /**
         * While set, a boot is refused with it as a {@link VmNotStoppedException}, as QEMU's driver refuses one while a
         * QEMU of the domain it does not drive runs (left by a daemon killed in a start); nothing is written.
         */
        volatile String strayVm;

        @Override
        public void validate(DomainSpec spec) {
        }

        @Override
        public VirtualMachine boot(DomainSpec spec, Path runDir) throws HypervisorException {
            if (strayVm != null) {
                throw new VmNotStoppedException(strayVm);
            }
            return create(spec, runDir);
        }

        @Override
        public VirtualMachine createIncoming(DomainSpec spec, Path runDir) throws HypervisorException {
            return create(spec, runDir);
        }

        private VirtualMachine create(DomainSpec spec, Path runDir) throws HypervisorException {
            try {
                Files.writeString(runDir.resolve("vm"), spec.name());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (failBoot != null) {
                throw new HypervisorException(failBoot); // and leaves its file, as a driver that fails half-way
            }
            return new Vm(spec, runDir, this);
        }

        @Override
        public Optional<VirtualMachine> reattach(DomainSpec spec, Path runDir) throws HypervisorException {
            reattached.add(spec.name());
            if (failReattach != null) {
                throw new HypervisorException(failReattach);
            }
            return Files.exists(runDir.resolve("vm")) ? Optional.of(new Vm(spec, runDir, this)) : Optional.empty();
        }
    }

    static final class Vm implements VirtualMachine, MachineType {
        private final DomainSpec spec;
        private final Path runDir;
        private final Driver driver;
        volatile boolean destroyed;

        Vm(DomainSpec spec, Path runDir, Driver driver) {
            this.spec = spec;
            this.runDir = runDir;
            this.driver = driver;
        }

        @Override
        public DomainSpec spec() {
            return spec;
        }

        @Override
        public boolean isRunning() {
            return !destroyed;
        }

        @Override
        public String machine() {
            return driver.machine;
        }

        @Override
        public void pause() {
        }

        @Override
        public void resume() {
        }

        @Override
        public void destroy() {
            if (driver.unkillable) {
                throw new VmNotStoppedException("VM of domain '" + spec.name() + "' did not die");
            }
            destroyed = true;
            try {
                Files.deleteIfExists(runDir.resolve("vm"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public String memoryDigest() {
            return "test";
        }

        @Override
        public MigrationStats sendMemory(OutputStream out, MigrationControl control) {
            throw new UnsupportedOperationException();
        }

        @Override
        public MigrationStats receiveMemory(InputStream in, MigrationControl control) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<DomainSpec.Graphics> graphicsListeners() {
            return List.of();
        }

        @Override
        public void relocateGraphicsClients(DomainSpec.Graphics destination, String tlsSubject) {
        }
    }

    /** Leases held by domain name. */
    static final class Locks implements LockManager {
        final Set<String> held = ConcurrentHashMap.newKeySet();

        @Override
        public Lease acquire(LeaseRequest request, String state) {
            held.add(request.domainName());
            return new Lease() {
                @Override
                public String state() {
                    return "";
                }

                @Override
                public String release() {
                    held.remove(request.domainName());
                    return "";
                }
            };
        }

        @Override
        public boolean usesState() {
            return false;
        }
    }
}
