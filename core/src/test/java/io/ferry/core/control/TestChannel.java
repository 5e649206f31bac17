package io.ferry.core.control;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.Hypervisor;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.api.lock.Lease;
import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockManager;
import io.ferry.core.TestDirectories;
import io.ferry.core.daemon.Daemon;
import io.ferry.core.daemon.TestDaemons;
import io.ferry.core.domain.DomainManager;
import io.ferry.core.domain.DomainStore;
import io.ferry.core.migration.FileJournal;
import io.ferry.core.migration.Hooks;
import io.ferry.core.migration.MigrationEngine;
import io.ferry.core.migration.Timing;
import io.ferry.core.section.SectionRegistry;
import io.ferry.core.snapshot.SnapshotFiles;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.DaemonMessages.Snapshots;
import io.ferry.protocol.Operation;
import io.ferry.protocol.Xml;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A daemon's control channel without OSGi, over a temporary state directory holding one defined domain
 * ({@value #DOMAIN}, not running), no migration and no snapshot: the production routing table
 * ({@link ControlServer#routes}) over a real engine, domain manager, snapshot files and section registry (no
 * section installed, no peer reachable, a {@code sim} driver that accepts every definition and runs none).
 */
final class TestChannel {
    static final String DOMAIN = "vm1";

    final MigrationEngine engine;
    final DomainManager domains;
    final SnapshotFiles snapshots;
    final RouteTable routes;
    final Path stateDir;

    private TestChannel(MigrationEngine engine, DomainManager domains, SnapshotFiles snapshots, RouteTable routes,
            Path stateDir) {
        this.engine = engine;
        this.domains = domains;
        this.snapshots = snapshots;
        this.routes = routes;
        this.stateDir = stateDir;
    }

    static TestChannel withOneDomain() throws Exception {
        return withOneDomain(new RunsNothing());
    }

    /** The same, with {@code sim} domains run by {@code driver}. */
    static TestChannel withOneDomain(Hypervisor driver) throws Exception {
        return withOneDomain(driver, Map.of(), Map.of());
    }

    /**
     * The same, over a state directory that also holds {@code files} (by path relative to it) when the daemon starts:
     * a status file cut short, say.
     */
    static TestChannel withOneDomainAnd(Map<String, String> files) throws Exception {
        return withOneDomain(new RunsNothing(), files, Map.of());
    }

    /** The same, on a host whose leases are off (lockManager none). */
    static TestChannel withOneDomainWithoutLeases() throws Exception {
        return withOneDomain(new RunsNothing(), Map.of(), Map.of("lockManager", "none"));
    }

    private static TestChannel withOneDomain(Hypervisor driver, Map<String, String> files, Map<String, Object> settings)
            throws Exception {
        Path stateDir = TestDirectories.create("control-channel");
        for (Map.Entry<String, String> file : files.entrySet()) {
            Files.createDirectories(stateDir.resolve(file.getKey()).getParent());
            Files.writeString(stateDir.resolve(file.getKey()), file.getValue());
        }
        new DomainStore(stateDir, stateDir.resolve("run")).writeDefinition(DOMAIN, "<domain type='sim'><name>" + DOMAIN
                + "</name><uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid><memory unit='KiB'>65536</memory><vcpu>1</vcpu></domain>");
        Daemon daemon = TestDaemons.at(stateDir, settings);
        SectionRegistry registry = new SectionRegistry(TestDaemons.context(Map.of()), daemon);
        SnapshotFiles snapshots = new SnapshotFiles(daemon);
        DomainManager domains = new DomainManager(daemon.settings(), snapshots);
        domains.addHypervisor("sim", driver);
        // the settings name the file lock manager: one that holds nothing, as a host whose leases are all free
        domains.addLockManager("file", NoLeases::new);
        MigrationEngine engine = new MigrationEngine(daemon.settings(), daemon.bakery(), domains, registry,
                new FileJournal(stateDir), new Hooks(null, null, Duration.ofSeconds(1)), snapshots, uri -> {
                    throw new ChannelException("no peers here", false);
                }, System::currentTimeMillis, Timing.DEFAULT, Runnable::run, daemon.settings().protocols(),
                () -> "ferry+tcp://127.0.0.1:1", null);
        return new TestChannel(engine, domains, snapshots,
                ControlServer.routes(daemon, registry, domains, engine, snapshots, "1.0.0"), stateDir);
    }

    /** An operator's call of {@code operation}, straight to its route's handler (no socket, no body). */
    Reply call(Operation operation, Map<String, String> query, String... parameters) throws Exception {
        Call call = new Call(operation, Caller.operator("test"), List.of(parameters), query, null);
        return routes.route(operation).handler().handle(call);
    }

    /** The snapshots of {@code domain}, as snapshot-list reads them. */
    Snapshots snapshots(String domain) throws Exception {
        return Snapshots.fromXml(Xml.of(ControlClient.parseQuietly(call(Operation.SNAPSHOT_LIST, Map.of(), domain).xml())));
    }

    /** A plain channel on a free loopback port serving {@code routes} (every caller an operator), not started yet. */
    ChannelServer server(RouteTable routes) {
        return new ChannelServer(new InetSocketAddress("127.0.0.1", 0), null,
                new ChannelHandler(routes, new Callers(List.of(), List.of(), null), engine::admits));
    }

    /** A {@code sim} driver that accepts every definition (as the cookie tools check one) and runs no VM. */
    private static final class RunsNothing implements Hypervisor {
        @Override
        public void validate(DomainSpec spec) {
        }

        @Override
        public VirtualMachine boot(DomainSpec spec, Path runDir) throws HypervisorException {
            throw new HypervisorException("this test daemon runs no VM");
        }

        @Override
        public VirtualMachine createIncoming(DomainSpec spec, Path runDir) throws HypervisorException {
            throw new HypervisorException("this test daemon runs no VM");
        }

        @Override
        public Optional<VirtualMachine> reattach(DomainSpec spec, Path runDir) {
            return Optional.empty();
        }
    }

    /** A lock manager whose every lease is free: no other host runs anything. */
    static final class NoLeases implements LockManager {
        @Override
        public Lease acquire(LeaseRequest request, String state) {
            return new Lease() {
                @Override
                public String state() {
                    return null;
                }

                @Override
                public String release() {
                    return null;
                }
            };
        }

        @Override
        public boolean usesState() {
            return false;
        }
    }
}
