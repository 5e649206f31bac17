package io.ferry.core.migration;

import io.ferry.api.host.ProcessRunner;
import io.ferry.api.snapshot.SnapshotStore;
import io.ferry.core.daemon.Daemon;
import io.ferry.core.domain.DomainManager;
import io.ferry.core.section.SectionRegistry;
import io.ferry.protocol.HttpPeer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.framework.BundleContext;
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
    /** Framework property: the protocols this daemon speaks, "2,3" by default ("2" imitates an old peer). */
    public static final String PROTOCOLS = "ferry.protocols";
    /** Framework property: seconds a source waits after Perform for Confirm before asking the destination itself. */
    static final String CONFIRM_WAIT = "ferry.migration.confirm.wait";
    /** Framework property: seconds a destination waits after the memory arrived for Finish before giving up. */
    static final String FINISH_WAIT = "ferry.migration.finish.wait";

    private final MigrationEngine engine;
    private final ScheduledExecutorService watchdog;
    private final ExecutorService settlements;

    @Activate
    public MigrationService(BundleContext context, @Reference Daemon daemon, @Reference DomainManager domains,
            @Reference SectionRegistry registry, @Reference SnapshotStore snapshots, @Reference ProcessRunner processes)
            throws IOException {
        String home = context.getProperty("ferry.home");
        Timing timing = new Timing(Timing.DEFAULT.driverTimeoutMillis(),
                seconds(context, CONFIRM_WAIT, Timing.DEFAULT.confirmWaitMillis() / 1000) * 1000,
                seconds(context, FINISH_WAIT, Timing.DEFAULT.finishWaitMillis() / 1000) * 1000, Timing.DEFAULT.sectionWaitMillis());
        AtomicInteger threads = new AtomicInteger();
        this.settlements = Executors.newFixedThreadPool(4, task -> daemonThread(task, "ferry-settlement-" + threads.incrementAndGet()));
        this.engine = new MigrationEngine(daemon.settings(), daemon.bakery(), domains, registry::snapshot,
                new FileJournal(daemon.settings().stateDir()), new Hooks(home == null ? null : Path.of(home, "etc", "hooks"), processes),
                snapshots, uri -> new HttpPeer(daemon.peer(uri)), System::currentTimeMillis, timing, settlements,
                parseProtocols(context.getProperty(PROTOCOLS)), daemon::controlUrl);
        this.watchdog = Executors.newSingleThreadScheduledExecutor(task -> daemonThread(task, "ferry-migration-watchdog"));
        watchdog.scheduleWithFixedDelay(engine::tick, 1, 1, TimeUnit.SECONDS);
    }

    @Deactivate
    void deactivate() {
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

    private static long seconds(BundleContext context, String property, long fallback) {
        String value = context.getProperty(property);
        return value == null || value.isBlank() ? fallback : Long.parseLong(value.trim());
    }

    private static Set<Integer> parseProtocols(String value) {
        if (value == null || value.isBlank()) {
            return Set.of(2, 3);
        }
        return Set.of(value.split(",")).stream().map(String::trim).map(Integer::valueOf).collect(java.util.stream.Collectors.toSet());
    }
}
