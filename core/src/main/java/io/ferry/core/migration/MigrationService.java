package io.ferry.core.migration;

import io.ferry.api.host.ProcessRunner;
import io.ferry.api.snapshot.SnapshotStore;
import io.ferry.core.daemon.Daemon;
import io.ferry.core.daemon.DaemonSettings;
import io.ferry.core.domain.DomainManager;
import io.ferry.core.section.SectionRegistry;
import io.ferry.protocol.HttpPeer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The migration engine as this daemon's service: it wires a {@link MigrationEngine} to the daemon's parts,
 * ticks its watchdog every second, and runs its settlements with peers on a small pool of their own.
 */
@Component(service = MigrationService.class)
public class MigrationService {
    /**
     * The property of the {@link Runnable} the launcher runs before it stops the core bundle: the components the
     * calls still running use go with the core's, and no step they take after that may be recorded but a destination's
     * commit and a source's end once its copy is stopped.
     */
    public static final String STOPPING_PROPERTY = "ferry.stopping";
    private final MigrationEngine engine;
    private final ScheduledExecutorService watchdog;
    private final ExecutorService settlements;
    private final ServiceRegistration<Runnable> stopping;

    @Activate
    public MigrationService(BundleContext context, @Reference Daemon daemon, @Reference DomainManager domains,
            @Reference SectionRegistry registry, @Reference SnapshotStore snapshots, @Reference ProcessRunner processes)
            throws IOException {
        String home = context.getProperty("ferry.home");
        DaemonSettings settings = daemon.settings();
        Timing timing = new Timing(Timing.DEFAULT.driverTimeoutMillis(), settings.confirmWait().toMillis(),
                settings.finishWait().toMillis(), Timing.DEFAULT.sectionWaitMillis(),
                Timing.DEFAULT.pausedSectionWaitMillis(), Timing.DEFAULT.dataSilenceMillis());
        AtomicInteger threads = new AtomicInteger();
        this.settlements = Executors.newFixedThreadPool(4, task -> daemonThread(task, "ferry-settlement-" + threads.incrementAndGet()));
        this.engine = new MigrationEngine(settings, daemon.bakery(), domains, registry,
                new FileJournal(settings.stateDir()),
                new Hooks(home == null ? null : Path.of(home, "etc", "hooks"), processes, settings.hookTimeout()),
                snapshots, uri -> new HttpPeer(daemon.peer(uri)), MigrationService::monotonicMillis, timing, settlements,
                settings.protocols(), daemon::controlUrl, daemon.tls());
        this.watchdog = Executors.newSingleThreadScheduledExecutor(task -> daemonThread(task, "ferry-migration-watchdog"));
        watchdog.scheduleWithFixedDelay(engine::tick, 1, 1, TimeUnit.SECONDS);
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(STOPPING_PROPERTY, "true");
        this.stopping = context.registerService(Runnable.class, engine::stopping, properties);
    }

    /**
     * The engine's waits are measured on the monotonic clock: the wall clock steps (NTP, an operator's {@code date
     * -s}), and a step back would keep a paused guest waiting that long for its settlement, a step forward would
     * abort migrations under way as if their drivers were gone.
     */
    private static long monotonicMillis() {
        return System.nanoTime() / 1_000_000;
    }

    @Deactivate
    void deactivate() {
        engine.stopping(); // first: a stop that did not come through the launcher (the core bundle's update)
        try {
            stopping.unregister();
        } catch (IllegalStateException alreadyGone) {
            // the bundle's services went with it
        }
        watchdog.shutdownNow();
        settlements.shutdownNow();
    }

    public MigrationEngine engine() {
        return engine;
    }

    private static Thread daemonThread(Runnable task, String name) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        return thread;
    }
}
