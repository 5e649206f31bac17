package io.ferry.core.migration;

import io.ferry.api.snapshot.SnapshotStore;
import io.ferry.core.daemon.Daemon;
import io.ferry.core.domain.DomainManager;
import io.ferry.core.section.MigrationLog;
import io.ferry.core.section.SectionRegistry;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.HttpPeer;
import io.ferry.protocol.Messages;
import io.ferry.protocol.Messages.Begin;
import io.ferry.protocol.Messages.Begun;
import io.ferry.protocol.Messages.Confirm;
import io.ferry.protocol.Messages.Fate;
import io.ferry.protocol.Messages.Finish;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.Outcome;
import io.ferry.protocol.Messages.Perform;
import io.ferry.protocol.Messages.Performed;
import io.ferry.protocol.Messages.Prepare;
import io.ferry.protocol.Messages.Prepared;
import io.ferry.protocol.MigrationDriver;
import io.ferry.protocol.Peer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This daemon's part in migrations: both sides of protocol v3 (and v2), the peer-to-peer driver, the
 * answers to "what became of migration X", and the watchdog that settles migrations whose driver vanished
 * (a client that died, a reply that was lost, a daemon restart) by the failure matrix.
 */
@Component(service = MigrationService.class)
public class MigrationService {
    private static final Logger LOG = LoggerFactory.getLogger(MigrationService.class);

    private final Migrations migrations;
    private final SourceSide source;
    private final DestinationSide destination;
    private final Recovery recovery;
    private final Set<Integer> protocols;
    private final Daemon daemon;
    private final ScheduledExecutorService watchdog;
    private final PeerClients peers;

    @Activate
    public MigrationService(BundleContext context, @Reference Daemon daemon, @Reference DomainManager domains,
            @Reference SectionRegistry registry, @Reference SnapshotStore snapshots) throws IOException {
        String hooks = context.getProperty("ferry.home");
        PeerClients peers = daemon::peer;
        this.peers = peers;
        this.migrations = new Migrations(daemon.settings(), daemon.bakery(), domains, registry,
                new Journal(daemon.settings().stateDir()), new Jobs(),
                new Hooks(hooks == null ? null : Path.of(hooks, "etc", "hooks")), new SideStreams(peers), snapshots);
        this.source = new SourceSide(migrations, peers);
        this.destination = new DestinationSide(migrations);
        this.protocols = daemon.settings().protocols();
        this.daemon = daemon;
        this.recovery = new Recovery(migrations, source, destination, peers,
                daemon.settings().confirmWait().toSeconds(), daemon.settings().finishWait().toSeconds());
        recovery.load();
        this.watchdog = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "ferry-migration-watchdog");
            thread.setDaemon(true);
            return thread;
        });
        watchdog.scheduleWithFixedDelay(recovery::tick, 1, 2, TimeUnit.SECONDS);
    }

    @Deactivate
    void deactivate() {
        watchdog.shutdownNow();
    }

    public Jobs jobs() {
        return migrations.jobs;
    }

    public java.util.List<Hooks.Event> events() {
        return migrations.hooks.events();
    }

    public Set<Integer> protocols() {
        return protocols;
    }

    public Begun begin(Begin request) throws Exception {
        try (var tag = MigrationLog.tag("begin:" + request.domain())) {
            Begun begun = source.begin(request);
            LOG.info("migration {} of {} begun", begun.id(), request.domain());
            return begun;
        }
    }

    public Prepared prepare(Prepare request) throws Exception {
        requireProtocol(request.flags().v2() ? 2 : 3);
        try (var tag = MigrationLog.tag(request.id())) {
            return destination.prepare(request);
        }
    }

    public Performed perform(Perform request) throws Exception {
        try (var tag = MigrationLog.tag(request.id())) {
            return source.perform(request);
        }
    }

    public Finished finish(Finish request) throws Exception {
        try (var tag = MigrationLog.tag(request.id())) {
            return destination.finish(request);
        }
    }

    public void confirm(Confirm request) throws Exception {
        requireProtocol(3);
        try (var tag = MigrationLog.tag(request.id())) {
            source.confirm(request);
        }
    }

    /** Receives a tunnelled memory stream for an incoming migration. */
    public void tunnel(String id, InputStream body) throws Exception {
        try (var tag = MigrationLog.tag(id)) {
            Incoming in = destination.find(id).orElseThrow(() -> new MigrationException("no incoming migration " + id + " on this host"));
            destination.receive(in, body);
        }
    }

    public boolean hasSideStream(String id, String feature) {
        return migrations.streams.offers(id, feature);
    }

    /** Serves a side stream a source section offered for migration {@code id}. */
    public void serveSideStream(String id, String feature, java.io.OutputStream out) throws IOException {
        try (var tag = MigrationLog.tag(id)) {
            migrations.streams.serve(id, feature, out);
        }
    }

    public Fate fate(String id) {
        Optional<Journal.Entry> entry = migrations.journal.find(id);
        if (entry.isEmpty()) {
            return new Fate(id, Outcome.UNKNOWN);
        }
        return new Fate(id, switch (entry.get().step()) {
            case COMMITTED, CONFIRMED -> Outcome.COMMITTED;
            case ABORTED -> Outcome.ABORTED;
            default -> Outcome.IN_PROGRESS;
        });
    }

    /** Peer-to-peer: this daemon, the source, drives the whole migration against the destination daemon. */
    public Finished migrate(Messages.Migrate request, MigrationDriver.Listener listener) throws ChannelException {
        Peer self = new LocalPeer(this, daemon.controlUrl());
        Peer peer = new HttpPeer(peers.client(request.destUri()));
        return new MigrationDriver(listener).run(self, peer, request);
    }

    private void requireProtocol(int version) throws MigrationException {
        if (!protocols.contains(version)) {
            throw new MigrationException("this daemon does not speak migration protocol " + version);
        }
    }
}
